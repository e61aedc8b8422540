// Checks the base layout's promises (no NHS logo unless configured, CSRF on
// sign-out, helpdesk in the footer, nothing the CSP would block) and that the
// asset build produces CSS with no external loads.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import nunjucks from 'nunjucks'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..')
const searchPaths = [join(root, 'src/platform/http/views'), join(root, 'node_modules/nhsuk-frontend/dist')]

const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(searchPaths), {
  autoescape: true,
  throwOnUndefined: false,
})

const page = `{% extends "layout.njk" %}
{% block pageTitle %}Test page{% endblock %}
{% block content %}<h1>Test heading</h1>{% endblock %}`

const base = {
  serviceName: 'Postwarden Test Service',
  csrfToken: 'csrf-token-abc123',
  helpdesk: { phone: '0300 123 4567', email: 'help@example.nhs.uk', hours: '8am to 6pm, Monday to Friday' },
}
const signedIn = {
  ...base,
  currentUser: { displayName: 'Jane Smith', email: 'jane.smith@example.nhs.uk', roleLabels: ['Organisation admin'] },
  nav: [
    { href: '/users', text: 'Users', current: true },
    { href: '/audit', text: 'Audit log' },
  ],
}

function render(context: object, template = page): string {
  return env.renderString(template, context)
}

function assertCspSafe(html: string): void {
  assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)[^>]*>/i, 'every <script> has a src')
  assert.doesNotMatch(html, /\sstyle\s*=/i, 'no style= attributes')
  assert.doesNotMatch(html, /<style[\s>]/i, 'no <style> elements')
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i, 'no external src/href')
}

test('signed out: service name, no logo, no account or nav, helpdesk in footer', () => {
  const html = render(base)
  assert.match(html, /<html lang="en">/)
  assert.match(html, /<title>Test page – Postwarden Test Service<\/title>/)
  assert.match(html, /class="nhsuk-header__service-name[^"]*"[^>]*>Postwarden Test Service</)
  assert.doesNotMatch(html, /<svg[^>]*nhsuk-header__logo/, 'no NHS logo svg')
  assert.doesNotMatch(html, /<img/, 'no logo image')
  assert.doesNotMatch(html, /\/signout/)
  assert.doesNotMatch(html, /nhsuk-header__navigation/)
  assert.match(html, /href="#maincontent"/)
  assert.match(html, /<main[^>]*id="maincontent"/)
  const footer = html.slice(html.indexOf('<footer'))
  assert.match(footer, /Need help\? The helpdesk is available 8am to 6pm, Monday to Friday\s+on <a[^>]*href="tel:03001234567">0300 123 4567<\/a>\s+or <a[^>]*href="mailto:help@example.nhs.uk">/)
  assert.equal(html.match(/<h1[\s>]/g)?.length, 1)
  assertCspSafe(html)
})

test('signed in: account, sign-out form with csrf token, navigation, roles', () => {
  const html = render(signedIn)
  const form = html.match(/<form[^>]*action="\/signout"[^>]*>[\s\S]*?<\/form>/)?.[0]
  assert.ok(form, 'sign-out form present')
  assert.match(form, /method="post"/)
  assert.match(form, /<input type="hidden" name="_csrf" value="csrf-token-abc123">/)
  assert.match(html, /Jane Smith/)
  assert.match(html, /jane\.smith@example\.nhs\.uk/)
  assert.match(html, /Roles: Organisation admin/)
  assert.match(html, /href="\/users" aria-current="page"/)
  assert.match(html, /href="\/audit">\s*Audit log/)
  assertCspSafe(html)
})

test('logo is shown only when logoUrl is set', () => {
  const html = render({ ...signedIn, logoUrl: '/assets/brand/logo.png' })
  assert.match(html, /<img class="nhsuk-header__organisation-logo" src="\/assets\/brand\/logo.png"/)
  assertCspSafe(html)
})

test('flash messages and escaping', () => {
  const ok = render({ ...signedIn, flash: { type: 'success', text: 'Saved <b>ok</b>' } })
  assert.match(ok, /nhsuk-notification-banner--success/)
  assert.match(ok, /Saved &lt;b&gt;ok&lt;\/b&gt;/)
  const bad = render({ ...signedIn, flash: { type: 'error', text: 'Could not save' } })
  assert.match(bad, /nhsuk-error-summary/)
  assert.match(bad, /Could not save/)
})

test('error pages render, have one h1 and leak nothing', () => {
  const ctx = { ...base, requestId: 'req-7f3a' }
  for (const name of ['404', '403', '429', '500']) {
    const html = env.render(`errors/${name}.njk`, ctx)
    assert.equal(html.match(/<h1[\s>]/g)?.length, 1, `${name} has one h1`)
    assert.match(html, /help@example\.nhs\.uk/)
    assertCspSafe(html)
    if (name !== '500') assert.doesNotMatch(html, /req-7f3a/, `${name} shows no request id`)
  }
  assert.match(env.render('errors/404.njk', ctx), /If you typed the web address, check it is correct\./)
  assert.match(env.render('errors/500.njk', ctx), /Reference: <strong[^>]*>req-7f3a</)
})

test('build-assets writes app.css with no external URL', () => {
  const run = spawnSync(process.execPath, [join(root, 'scripts/build-assets.mjs')], { encoding: 'utf8' })
  assert.equal(run.status, 0, run.stderr)
  const cssPath = join(root, 'dist/public/app.css')
  assert.ok(existsSync(cssPath))
  const css = readFileSync(cssPath, 'utf8')
  assert.doesNotMatch(css, /https?:\/\//i)
  assert.doesNotMatch(css, /url\(\s*["']?\/\//i)
  assert.doesNotMatch(css, /@font-face/i)
  assert.match(css, /\.nhsuk-header/)
  for (const f of ['app.js', 'nhsuk-frontend.min.js', 'images/nhsuk-icon-cross.svg']) {
    assert.ok(existsSync(join(root, 'dist/public', f)), `${f} copied`)
  }
})
