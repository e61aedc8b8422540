/**
 * Sign-in benchmark: `npm run bench:signin -- [--signins N] [--requests N] [--users N] [--accounts-per-org N]`.
 *
 * Starts the real portal (buildApp, real config schema, nothing mocked) on 127.0.0.1, port 0,
 * over a fresh SQLite file in the temp directory and, when reachable, a fresh PostgreSQL
 * schema (PW_BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres; the schema
 * is dropped afterwards). Over real HTTP (node's fetch, cookies kept per client) it measures:
 *  1. full sign-ins per second — GET /signin (CSRF token), POST /signin, POST /signin/verify
 *     with a fresh TOTP code — at concurrency 1 and 8. Each account signs in once, so no
 *     code is ever a replay: N accounts per concurrency level.
 *  2. page latency (p50/p95/p99) for U concurrent signed-in LAs and admins browsing a fixed
 *     number of pages (dashboard, account lists and searches, account pages, audit log,
 *     their sessions).
 *  3. the cost of one argon2id hash in the same run (median of 20), and the ratio of the
 *     sign-in rate to 1/argon2 (how many hashes' worth of time one sign-in costs, inverted).
 * Every loop is bounded; all traffic goes to 127.0.0.1. Compare ratios between machines, not absolutes.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { grantsFor, type Role } from '../src/directory/directory.js';
import { insertAccount, replaceRoles } from '../src/directory/directory.repo.js';
import { totpCode } from '../src/mfa/mfa.js';
import { systemClock } from '../src/platform/clock.js';
import { type DatabaseHandle, migrateToLatest, openDatabase } from '../src/platform/db/db.js';
import type { Db } from '../src/platform/db/db.js';
import { migrations } from '../src/main/migrations.js';
import { buildApp } from '../src/platform/http/app.js';
import { PLUGINS } from '../src/main/plugins.js';
import { createLogger } from '../src/platform/log/log.js';
import { testConfig } from '../src/platform/testing/app.js';
import { enrolTestTotp, makeOrganisation, TEST_PASSWORD } from '../src/platform/testing/factories.js';
import { hashPassword } from '../src/signin/password.js';

const { values: args } = parseArgs({
  options: {
    signins: { type: 'string', default: '300' },
    requests: { type: 'string', default: '5000' },
    users: { type: 'string', default: '50' },
    'accounts-per-org': { type: 'string', default: '500' },
  },
});
const SIGNINS = positive('signins');
const REQUESTS = positive('requests');
const USERS = positive('users');
const PER_ORG = positive('accounts-per-org');
const ORGS = 10;
const PG_URL = process.env.PW_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function positive(name: keyof typeof args): number {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
}

/** A browser-like HTTP client: keeps cookies, reads the CSRF token from forms, never follows redirects. */
class Client {
  private cookies = new Map<string, string>();
  csrf = '';
  constructor(private base: string) {}

  async request(method: 'GET' | 'POST', url: string, form?: Record<string, string>): Promise<{ status: number; location: string | null; body: string }> {
    const headers: Record<string, string> = { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'user-agent': 'postwarden-bench (undici)' };
    let body: string | undefined;
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams({ ...form, _csrf: this.csrf }).toString();
    }
    const res = await fetch(this.base + url, { method, headers, body, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0]!;
      const i = pair.indexOf('=');
      const value = pair.slice(i + 1);
      if (value === '' || /max-age=0|expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(pair.slice(0, i));
      else this.cookies.set(pair.slice(0, i), value);
    }
    const text = await res.text();
    const m = /name="_csrf" value="([^"]+)"/.exec(text);
    if (m) this.csrf = m[1]!;
    return { status: res.status, location: res.headers.get('location'), body: text };
  }
}

interface BenchAccount { id: string; email: string; secret: string; organisationId: string; roles: Role[] }

/** GET /signin, POST /signin, POST /signin/verify. Throws unless the client ends fully signed in. */
async function signIn(base: string, a: BenchAccount): Promise<Client> {
  const c = new Client(base);
  await c.request('GET', '/signin');
  const p = await c.request('POST', '/signin', { email: a.email, password: TEST_PASSWORD });
  if (p.status !== 303 || !p.location?.startsWith('/signin/verify')) throw new Error(`password step: ${p.status} ${p.location}`);
  const v = await c.request('POST', '/signin/verify', { code: totpCode(a.secret, new Date()) });
  if (v.status !== 303 || v.location !== '/') throw new Error(`TOTP step: ${v.status} ${v.location}`);
  return c;
}

/** Runs `total` jobs with `concurrency` workers; bounded by `total`. */
async function pool(total: number, concurrency: number, job: (i: number, worker: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async (_, w) => {
    for (let i = next++; i < total; i = next++) await job(i, w);
  }));
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function seed(db: Db, passwordHash: string): Promise<{ signers: BenchAccount[]; browsers: BenchAccount[]; accountIds: Map<string, string[]>; names: string[] }> {
  const orgs: Awaited<ReturnType<typeof makeOrganisation>>[] = [];
  for (let i = 0; i < ORGS; i++) orgs.push(await makeOrganisation(db, { name: `Bench Trust ${i}` }));
  const accountIds = new Map<string, string[]>();
  const names = ['Smith', 'Jones', 'Taylor', 'Brown', 'Williams', 'Wilson', 'Johnson', 'Davies', 'Patel', 'Khan'];
  const now = new Date().toISOString();
  const add = async (trx: Db, organisationId: string, email: string, displayName: string, businessArea: string, roles: Role[]): Promise<string> => {
    const id = randomUUID();
    await insertAccount(trx, { id, organisationId, email, displayName, businessArea, mobile: null, passwordHash, mustChangePassword: false, now });
    await replaceRoles(trx, id, grantsFor(roles, organisationId));
    return id;
  };
  await db.transaction().execute(async (trx) => {
    for (const [o, org] of orgs.entries()) {
      const ids: string[] = [];
      for (let i = 0; i < PER_ORG; i++) {
        const name = `${['Alex', 'Sam', 'Jo', 'Chris', 'Pat'][i % 5]} ${names[(i + o) % names.length]}`;
        ids.push(await add(trx, org.id, `staff${i}@${org.domain}`, name, ['Clinical', 'Finance', 'HR', 'Estates'][i % 4]!, ['user']));
      }
      accountIds.set(org.id, ids);
    }
  });
  const withTotp = async (n: number, prefix: string, roles: (i: number) => Role[]): Promise<BenchAccount[]> => {
    const out: BenchAccount[] = [];
    for (let i = 0; i < n; i++) {
      const org = orgs[i % ORGS]!;
      const email = `${prefix}${i}@${org.domain}`;
      const id = await add(db, org.id, email, `${prefix} ${i}`, 'Finance', roles(i));
      out.push({ id, email, secret: await enrolTestTotp(db, id), organisationId: org.id, roles: roles(i) });
    }
    return out;
  };
  const signers = await withTotp(SIGNINS * 2, 'signer', () => ['user']);
  // Mostly LAs (the people who use the portal all day), a few platform admins.
  const browsers = await withTotp(USERS, 'browser', (i) => (i % 10 === 9 ? ['platform-admin'] : ['local-admin']));
  return { signers, browsers, accountIds, names };
}

interface DbResult {
  label: string;
  signins: { concurrency: number; perSecond: number; cpuMs: number; failures: number }[];
  pages: { p50: number; p95: number; p99: number; perSecond: number; cpuMs: number; errors: number; byPage: Map<string, number[]> };
}

/** CPU milliseconds this process has used: on a shared machine wall time also measures the neighbours. */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function benchDatabase(label: string, handle: DatabaseHandle, passwordHash: string): Promise<DbResult> {
  await migrateToLatest(handle.db, migrations, handle.schema);
  process.stderr.write(`${label}: seeding ${ORGS * PER_ORG + SIGNINS * 2 + USERS} accounts…\n`);
  const { signers, browsers, accountIds, names } = await seed(handle.db, passwordHash);
  const config = testConfig({ signinRateLimitPerMinute: 10_000 });
  const app = await buildApp({ config, db: handle.db, logger: createLogger('silent'), clock: systemClock }, PLUGINS);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no TCP address');
  const base = `http://127.0.0.1:${address.port}`;
  try {
    await signIn(base, signers[0]!); // warm up templates and connections (not counted)
    const signins: DbResult['signins'] = [];
    for (const [k, concurrency] of [1, 8].entries()) {
      const batch = signers.slice(1 + k * SIGNINS, 1 + (k + 1) * SIGNINS);
      let failures = 0;
      const t0 = performance.now();
      const c0 = cpuMs();
      await pool(batch.length, concurrency, async (i) => {
        await signIn(base, batch[i]!).catch((err: unknown) => {
          // Counted and the first reported: a failed sign-in must not pass for a fast one.
          if (failures++ === 0) process.stderr.write(`${label}: sign-in failed: ${String(err)}\n`);
        });
      });
      signins.push({ concurrency, perSecond: batch.length / ((performance.now() - t0) / 1000), cpuMs: (cpuMs() - c0) / batch.length, failures });
      process.stderr.write(`${label}: sign-ins at concurrency ${concurrency} done\n`);
    }

    const clients: Client[] = [];
    for (const b of browsers) clients.push(await signIn(base, b));
    const pagesFor = (b: BenchAccount, n: number): [string, string] => {
      const orgIds = b.roles.includes('platform-admin') ? [...accountIds.keys()] : [b.organisationId];
      const ids = accountIds.get(orgIds[n % orgIds.length]!)!;
      const mix: [string, string][] = [
        ['dashboard', '/'],
        ['accounts list', '/accounts'],
        ['accounts search', `/accounts?q=${encodeURIComponent(names[n % names.length]!)}`],
        ['account page', `/accounts/${ids[(n * 7919) % ids.length]}`],
        ['accounts search', `/accounts?q=staff${n % 50}`],
        ['account page', `/accounts/${ids[(n * 104729) % ids.length]}`],
        ['audit log', '/audit'],
        ['account page', `/accounts/${ids[(n * 31) % ids.length]}`],
        ['accounts list', '/accounts?after=staff2'],
        ['own sessions', '/security/sessions'],
      ];
      return mix[n % mix.length]!;
    };
    const latencies: number[] = [];
    const byPage = new Map<string, number[]>();
    let errors = 0;
    const t0 = performance.now();
    const c0 = cpuMs();
    await pool(REQUESTS, clients.length, async (i, w) => {
      const [name, url] = pagesFor(browsers[w]!, i);
      const s = performance.now();
      const r = await clients[w]!.request('GET', url);
      const ms = performance.now() - s;
      if (r.status !== 200) errors += 1;
      latencies.push(ms);
      byPage.set(name, byPage.get(name) ?? []);
      byPage.get(name)!.push(ms);
    });
    const seconds = (performance.now() - t0) / 1000;
    const pageCpu = (cpuMs() - c0) / REQUESTS;
    latencies.sort((a, b) => a - b);
    for (const v of byPage.values()) v.sort((a, b) => a - b);
    return { label, signins, pages: { p50: pct(latencies, 50), p95: pct(latencies, 95), p99: pct(latencies, 99), perSecond: REQUESTS / seconds, cpuMs: pageCpu, errors, byPage } };
  } finally {
    await app.close();
  }
}

async function pgReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const argonMs: number[] = [];
  for (let i = 0; i < 20; i++) {
    const s = performance.now();
    await hashPassword(`bench-password-${i}-${randomBytes(4).toString('hex')}`);
    argonMs.push(performance.now() - s);
  }
  const argon = median(argonMs);
  const passwordHash = await hashPassword(TEST_PASSWORD);
  const results: DbResult[] = [];

  const dir = mkdtempSync(path.join(tmpdir(), 'pw-bench-signin-'));
  try {
    const handle = await openDatabase(`sqlite:${path.join(dir, 'bench.sqlite')}`);
    try {
      results.push(await benchDatabase('SQLite', handle, passwordHash));
    } finally {
      await handle.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  let pgNote = '';
  if (await pgReachable()) {
    const schema = `bench_${randomBytes(6).toString('hex')}`;
    const u = new URL(PG_URL);
    u.searchParams.set('schema', schema);
    const handle = await openDatabase(u.toString());
    try {
      results.push(await benchDatabase('PostgreSQL', handle, passwordHash));
    } finally {
      await handle.close();
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => c.end());
    }
  } else {
    pgNote = `PostgreSQL not reachable at ${PG_URL}: skipped.`;
  }

  const f1 = (n: number): string => n.toFixed(1);
  console.log(`\nSign-in benchmark: ${SIGNINS} sign-ins per concurrency level, ${REQUESTS} page views by ${USERS} signed-in users, ${ORGS * PER_ORG} directory accounts`);
  console.log(`argon2id: one hashPassword = ${f1(argon)} ms (median of 20)  →  1/argon2 = ${f1(1000 / argon)} hashes/s on one core\n`);
  console.log(`${'database'.padEnd(11)} ${'measure'.padEnd(38)} ${'value'.padStart(12)}  ${'vs 1/argon2'.padStart(11)}`);
  for (const r of results) {
    for (const s of r.signins) {
      const note = s.failures ? `  (${s.failures} failed)` : '';
      console.log(`${r.label.padEnd(11)} ${`sign-ins/s, concurrency ${s.concurrency}`.padEnd(38)} ${f1(s.perSecond).padStart(12)}  ${`${(s.perSecond * argon / 1000).toFixed(2)}×`.padStart(11)}  node CPU ${f1(s.cpuMs)} ms/sign-in${note}`);
    }
    const p = r.pages;
    console.log(`${r.label.padEnd(11)} ${`pages: p50 / p95 / p99 ms (${USERS} users)`.padEnd(38)} ${`${f1(p.p50)} / ${f1(p.p95)} / ${f1(p.p99)}`.padStart(12)}`);
    console.log(`${r.label.padEnd(11)} ${'pages/s'.padEnd(38)} ${f1(p.perSecond).padStart(12)}  ${''.padStart(11)}  node CPU ${f1(p.cpuMs)} ms/page${p.errors ? `  (${p.errors} non-200)` : ''}`);
    for (const [name, v] of [...p.byPage].sort()) {
      console.log(`${''.padEnd(11)}   ${`${name} (${v.length}): p50 / p95`.padEnd(36)} ${`${f1(pct(v, 50))} / ${f1(pct(v, 95))}`.padStart(12)}`);
    }
  }
  if (pgNote) console.log(pgNote);
  console.log('\n"vs 1/argon2" = sign-ins/s ÷ (1 / argon2id cost): 1.00× means a sign-in costs exactly one hash of wall time.');
  console.log('node CPU includes the benchmark\'s own HTTP client (same process); the database server\'s CPU is not included.');
}

await main();
