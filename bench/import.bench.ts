/**
 * Directory import benchmark: `npm run bench:import -- [--rows N] [--reimport] [--sqlite-cache-mb M] [--only sqlite|postgres]`.
 *
 * Generates 10,000 organisations and N accounts (default 1.5 million) as CSV files in the
 * temp directory, then imports them into a fresh SQLite file and a fresh PostgreSQL schema
 * (PW_BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres). As a baseline
 * measured in the same run it streams the same CSV into raw better-sqlite3 prepared
 * INSERTs in one transaction, so the ratio shows what validation, batching, Kysely and
 * audit cost. Figures drift between machines: compare ratios, not absolutes.
 */
import { randomBytes } from 'node:crypto';
import { newId } from '../src/platform/ids.js';
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import SqliteDatabase from 'better-sqlite3';
import { SingleBar } from 'cli-progress';
import { parse } from 'csv-parse';
import { sql } from 'kysely';
import pg from 'pg';
import { verifyAuditTrail } from '../src/audit/audit.commands.js';
import { importAccountsFile, importOrganisationsFile } from '../src/directory/import/import.commands.js';
import type { ImportResult } from '../src/directory/import/import.js';
import { cliContext } from '../src/platform/context.js';
import { migrateToLatest, openDatabase } from '../src/platform/db/db.js';
import { migrations } from '../src/main/migrations.js';
import { generateAccountsCsv, generateOrganisationsCsv } from './generate-directory.js';

const { values: args } = parseArgs({
  options: { rows: { type: 'string', default: '1500000' }, reimport: { type: 'boolean', default: false }, 'sqlite-cache-mb': { type: 'string' }, only: { type: 'string' } },
});
// SQLite's default page cache is 2 MB; at a million rows the random-keyed indexes outgrow it and
// every insert pays for page reads. This lets a run show the effect without changing db.ts.
const SQLITE_CACHE_MB = args['sqlite-cache-mb'] ? Number(args['sqlite-cache-mb']) : undefined;
const ROWS = Number(args.rows);
const ORGS = 10_000;
if (!Number.isInteger(ROWS) || ROWS < 1) throw new Error('--rows must be a positive integer');
const PG_URL = process.env.PW_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const peakRss = (): string => mb(process.resourceUsage().maxRSS * 1024);
const fmt = (n: number): string => Math.round(n).toLocaleString('en-GB');

/** A progress bar on a terminal, nothing otherwise (so piped output stays readable). */
function progress(label: string): { onProgress?: (read: number, total: number) => void; stop(): void } {
  if (!process.stderr.isTTY) return { stop: () => undefined };
  const bar = new SingleBar({ format: `${label.padEnd(22)} [{bar}] {percentage}% {eta}s`, stream: process.stderr, hideCursor: true });
  let started = false;
  return {
    onProgress: (read, total) => {
      if (!started) bar.start(total, 0);
      started = true;
      bar.update(read);
    },
    stop: () => started && bar.stop(),
  };
}

/** CPU seconds this process has used: on a shared machine wall time also measures the neighbours. */
const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; cpu: number }> {
  const before = cpuSeconds();
  const value = await fn();
  return { value, cpu: cpuSeconds() - before };
}

function report(label: string, r: ImportResult, cpu: number): void {
  const rows = r.created + r.updated + r.unchanged + r.rejectedCount;
  console.log(
    `${label.padEnd(34)} ${fmt(r.rowsPerSecond).padStart(9)} rows/s  ${(r.durationMs / 1000).toFixed(1).padStart(6)} s  ` +
      `(node CPU ${cpu.toFixed(1)} s, ${fmt(rows / cpu)} rows/CPU-s)  ` +
      `created ${fmt(r.created)}, updated ${fmt(r.updated)}, unchanged ${fmt(r.unchanged)}, rejected ${fmt(r.rejectedCount)}  peak RSS ${peakRss()}`,
  );
  for (const x of r.rejected.slice(0, 5)) console.log(`    line ${x.line}: ${x.reason}`);
}

async function importInto(label: string, url: string, files: { orgs: string; accounts: string }): Promise<number> {
  const handle = await openDatabase(url);
  try {
    await migrateToLatest(handle.db, migrations, handle.schema);
    if (handle.dialect === 'sqlite' && SQLITE_CACHE_MB) await sql.raw(`pragma cache_size = -${SQLITE_CACHE_MB * 1024}`).execute(handle.db);
    const ctx = cliContext(new Date());
    let bar = progress(`${label} organisations`);
    const orgs = await timed(() => importOrganisationsFile(handle.db, ctx, files.orgs, { onProgress: bar.onProgress }));
    bar.stop();
    report(`${label} organisations`, orgs.value, orgs.cpu);
    bar = progress(`${label} accounts`);
    const r = await timed(() => importAccountsFile(handle.db, ctx, files.accounts, { onProgress: bar.onProgress }));
    bar.stop();
    report(`${label} accounts`, r.value, r.cpu);
    if (args.reimport) {
      bar = progress(`${label} re-import`);
      const again = await timed(() => importAccountsFile(handle.db, cliContext(new Date()), files.accounts, { onProgress: bar.onProgress }));
      bar.stop();
      report(`${label} accounts, same file again`, again.value, again.cpu);
    }
    const audit = await verifyAuditTrail(handle.db);
    console.log(`${label} audit chain: ${audit.ok ? 'verifies' : `BROKEN at ${audit.broken?.seq}`} (${fmt(audit.checked)} events)`);
    return r.value.rowsPerSecond;
  } finally {
    await handle.close();
  }
}

/**
 * The floor: the same CSV parsed by csv-parse and inserted with two prepared statements in
 * one transaction, no validation, no batching, no audit. @returns rows per second
 */
async function rawSqliteBaseline(dir: string, accountsCsv: string): Promise<number> {
  const file = path.join(dir, 'raw.sqlite');
  const migrated = await openDatabase(`sqlite:${file}`);
  await migrateToLatest(migrated.db, migrations);
  await migrated.close();
  const db = new SqliteDatabase(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  if (SQLITE_CACHE_MB) db.pragma(`cache_size = -${SQLITE_CACHE_MB * 1024}`);
  const now = new Date().toISOString();
  const orgIds = new Map<string, string>();
  const insertOrg = db.prepare('insert into organisations (id, code, name, high_risk_areas, la_contact, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 0; i < ORGS; i++) {
      const code = `B${i.toString().padStart(6, '0')}`;
      orgIds.set(code, newId());
      insertOrg.run(orgIds.get(code), code, code, '[]', 'la', now, now);
    }
  })();
  const insertAccount = db.prepare(
    `insert into accounts (id, organisation_id, email, display_name, business_area, status, mobile, password_hash, must_change_password, created_at, updated_at)
     values (?, ?, ?, ?, ?, 'active', ?, null, 0, ?, ?)`,
  );
  const insertRole = db.prepare('insert into account_roles (account_id, role, scope) values (?, ?, ?)');
  const started = performance.now();
  const cpuBefore = cpuSeconds();
  let rows = 0;
  db.exec('begin');
  for await (const rec of createReadStream(accountsCsv).pipe(parse({ from_line: 2 })) as AsyncIterable<string[]>) {
    const [code, email, name, area, mobile, roles] = rec as [string, string, string, string, string, string];
    const id = newId();
    const orgId = orgIds.get(code)!;
    insertAccount.run(id, orgId, email, name, area, mobile || null, now, now);
    for (const role of roles ? roles.split(';') : ['user']) insertRole.run(id, role, role === 'local-admin' ? orgId : '*');
    rows++;
  }
  db.exec('commit');
  const seconds = (performance.now() - started) / 1000;
  db.close();
  const cpu = cpuSeconds() - cpuBefore;
  console.log(
    `${'raw better-sqlite3 baseline'.padEnd(34)} ${fmt(rows / seconds).padStart(9)} rows/s  ${seconds.toFixed(1).padStart(6)} s  ` +
      `(node CPU ${cpu.toFixed(1)} s, ${fmt(rows / cpu)} rows/CPU-s)  peak RSS ${peakRss()}`,
  );
  return rows / seconds;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pw-bench-import-'));
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  try {
    const files = { orgs: path.join(dir, 'organisations.csv'), accounts: path.join(dir, 'accounts.csv') };
    let t = performance.now();
    await generateOrganisationsCsv(files.orgs, ORGS);
    await generateAccountsCsv(files.accounts, ROWS, ORGS);
    console.log(`generated ${fmt(ORGS)} organisations and ${fmt(ROWS)} accounts (${mb(statSync(files.accounts).size)}) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    console.log(`node ${process.version}, ${os()}, SQLite cache ${SQLITE_CACHE_MB ? `${SQLITE_CACHE_MB} MB` : 'as openDatabase sets it'}, peak RSS so far ${peakRss()}\n`);

    t = performance.now();
    let parsed = 0;
    for await (const _ of createReadStream(files.accounts).pipe(parse({ from_line: 2 }))) parsed++;
    console.log(`${'csv-parse alone'.padEnd(34)} ${fmt(parsed / ((performance.now() - t) / 1000)).padStart(9)} rows/s`);

    if (args.only === 'postgres') {
      const pgOnly = new URL(PG_URL);
      pgOnly.searchParams.set('schema', schema);
      const postgres = await importInto('PostgreSQL', pgOnly.toString(), files);
      console.log(`\nPostgreSQL import ${fmt(postgres)} rows/s (no SQLite baseline in this run: --only postgres)`);
      return;
    }
    const raw = await rawSqliteBaseline(dir, files.accounts);
    const sqlite = await importInto('SQLite', `sqlite:${path.join(dir, 'bench.sqlite')}`, files);
    if (args.only === 'sqlite') {
      console.log(`\nSQLite import ${fmt(sqlite)} rows/s = ${((sqlite / raw) * 100).toFixed(0)}% of the raw baseline (${fmt(raw)} rows/s)`);
      return;
    }
    const pgUrl = new URL(PG_URL);
    pgUrl.searchParams.set('schema', schema);
    let postgres: number | undefined;
    try {
      postgres = await importInto('PostgreSQL', pgUrl.toString(), files);
    } catch (err) {
      console.log(`PostgreSQL skipped: ${(err as Error).message}`);
    }
    console.log(`\nSQLite import ${fmt(sqlite)} rows/s = ${((sqlite / raw) * 100).toFixed(0)}% of the raw baseline (${fmt(raw)} rows/s)`);
    if (postgres !== undefined) console.log(`PostgreSQL import ${fmt(postgres)} rows/s`);
    console.log(`peak RSS ${peakRss()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await dropSchema(schema);
  }
}

async function dropSchema(schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } catch {
    // PostgreSQL unreachable: the import said so already, and there is no schema to drop.
  } finally {
    await c.end().catch(() => undefined);
  }
}

function os(): string {
  return `${process.platform}/${process.arch}`;
}

await main();
