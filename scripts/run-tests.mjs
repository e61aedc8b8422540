#!/usr/bin/env node
// Runs every *.test.ts under src/ with Node's test runner (through tsx), after making a
// fresh PostgreSQL database for this run. Node 20's `--test` does not expand globs, so
// the files are listed here. Missing PostgreSQL, Chromium or an optional peer (the shared
// corpora, swaks, openssl, oathtool, python3-dkim) is reported loudly in a banner before
// and after the run; under CI (CI=true) it is a failure, not a skip.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';

const root = path.resolve(import.meta.dirname, '..');
const onlyArgs = process.argv.slice(2);
const ci = process.env.CI === 'true' || process.env.CI === '1';

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

function banner(lines) {
  const bar = '!'.repeat(78);
  console.error(`\n${bar}\n${lines.map((l) => `!! ${l}`).join('\n')}\n${bar}\n`);
}

const files = (onlyArgs.length ? onlyArgs.map((f) => path.resolve(f)) : findTests(path.join(root, 'src'))).sort();
const adminUrl = process.env.PW_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `postwarden_test_${Date.now()}_${process.pid}`;
const env = { ...process.env };
let created = false;
const warnings = [];

try {
  const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  await c.connect();
  await c.query(`CREATE DATABASE "${dbName}"`);
  await c.end();
  created = true;
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  env.PW_TEST_PG_URL = u.toString();
} catch (err) {
  env.PW_TEST_PG_SKIP = `cannot create a test database at ${adminUrl.replace(/\/\/[^@]*@/, '//')}: ${err.message}`;
  warnings.push('The PostgreSQL half of every repository test is SKIPPED.', env.PW_TEST_PG_SKIP,
    'Start PostgreSQL (or set PW_TEST_PG_ADMIN_URL) and run again for a complete run.');
}

const chromium = process.env.PW_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  env.PW_CHROMIUM_SKIP = `${chromium} not found (install Debian's chromium package: .ci/run does)`;
  warnings.push('Browser tests are SKIPPED:', env.PW_CHROMIUM_SKIP);
} else {
  env.PW_CHROMIUM = chromium;
}

// Optional peers (corpora, swaks, openssl, oathtool, python3-dkim): src/platform/testing/peers.ts
// is the one place that knows how to find them; the tests that need one skip with its reason.
const peers = spawnSync(process.execPath, ['--import', 'tsx', 'src/platform/testing/peers.ts'], { cwd: root, encoding: 'utf8' });
if (peers.status !== 0) {
  warnings.push(`could not check the optional peers: ${(peers.stderr || '').trim().split('\n')[0]}`);
} else {
  const missing = Object.values(JSON.parse(peers.stdout || '{}'));
  if (missing.length) warnings.push('Tests that need these peers are SKIPPED:', ...missing.map((m) => `  ${m}`));
}

if (warnings.length) banner(warnings);
if (warnings.length && ci) {
  banner(['CI=true: a skipped half is a failure here.']);
  process.exit(1);
}

const args = ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${process.env.PW_TEST_CONCURRENCY ?? 2}`, ...files];
const child = spawn(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
const code = await new Promise((resolve) => child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0))));

if (created) {
  try {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await c.end();
  } catch (err) {
    console.error(`could not drop ${dbName}: ${err.message}`);
  }
}
if (warnings.length) banner(warnings);
process.exit(code);
