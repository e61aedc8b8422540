#!/usr/bin/env node
// Builds the portal's static assets into dist/public/ (served at /assets/).
//
//   node scripts/build-assets.mjs
//
// - src/platform/http/assets/app.scss → dist/public/app.css (compressed)
// - src/platform/http/assets/app.js   → dist/public/app.js (starts nhsuk components)
// - nhsuk-frontend's ES module bundle → dist/public/nhsuk-frontend.min.js
// - nhsuk-frontend's images (CSS icons) → dist/public/images/
// - src/platform/http/assets/webauthn.js → dist/public/webauthn.js (security keys)
// - @simplewebauthn/browser's ES modules → dist/public/simplewebauthn-browser/
//
// Idempotent: overwrites the same files every run. Fails (exit 1) if the CSS
// would load anything from another origin, because the CSP forbids it and the
// service must not leak users' visits to third parties (nhsuk's default is to
// fetch Frutiger from assets.nhs.uk; app.scss turns that off).
import { cpSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as sass from 'sass'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const srcDir = join(root, 'src/platform/http/assets')
const outDir = join(root, 'dist/public')
const nhsukDir = join(root, 'node_modules/nhsuk-frontend/dist/nhsuk')

/**
 * Returns a list of problems: any absolute or protocol-relative URL, any
 * @font-face (there are no local font files, so one would be a broken or
 * external load), any @import of a remote stylesheet.
 */
export function findExternalReferences(css) {
  const problems = []
  for (const m of css.matchAll(/https?:\/\/[^\s"')]+/gi)) problems.push(`absolute URL ${m[0]}`)
  for (const m of css.matchAll(/url\(\s*["']?\s*\/\/[^)]*\)/gi)) problems.push(`protocol-relative ${m[0]}`)
  if (/@font-face/i.test(css)) problems.push('@font-face rule')
  if (/@import/i.test(css)) problems.push('@import rule')
  return problems
}

function buildCss() {
  const result = sass.compile(join(srcDir, 'app.scss'), {
    style: 'compressed',
    // Resolves `pkg:nhsuk-frontend` through the package's "sass" export.
    importers: [new sass.NodePackageImporter(root)],
    // nhsuk's own deprecation notices are not ours to fix.
    quietDeps: true,
  })
  const problems = findExternalReferences(result.css)
  if (problems.length > 0) {
    throw new Error(`app.css must not reference other origins:\n  ${problems.join('\n  ')}`)
  }
  writeFileSync(join(outDir, 'app.css'), result.css)
  return result.css.length
}

function copyScriptsAndImages() {
  cpSync(join(srcDir, 'app.js'), join(outDir, 'app.js'))
  // The min bundle is an ES module exporting initAll; app.js imports it.
  cpSync(join(nhsukDir, 'nhsuk-frontend.min.js'), join(outDir, 'nhsuk-frontend.min.js'))
  cpSync(join(nhsukDir, 'assets/images'), join(outDir, 'images'), { recursive: true })
}

// Security keys (src/mfa/webauthn.*): the package ships no single ES module bundle,
// only esm/ (relative imports, no dependencies), so its .js files are copied as they are
// and webauthn.js imports ./simplewebauthn-browser/index.js.
function copyWebauthnScripts() {
  cpSync(join(srcDir, 'webauthn.js'), join(outDir, 'webauthn.js'))
  const esm = join(root, 'node_modules/@simplewebauthn/browser/esm')
  cpSync(esm, join(outDir, 'simplewebauthn-browser'), {
    recursive: true,
    filter: (from) => statSync(from).isDirectory() || from.endsWith('.js'),
  })
}

const started = Date.now()
try {
  mkdirSync(outDir, { recursive: true })
  const cssBytes = buildCss()
  copyScriptsAndImages()
  copyWebauthnScripts()
  console.log(`build-assets: dist/public ready (app.css ${cssBytes} bytes) in ${Date.now() - started} ms`)
} catch (err) {
  console.error(`build-assets: FAILED\n${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
}
