/**
 * Password-expiry reminder benchmark: `npm run bench:reminders -- [--accounts N] [--orgs N] [--render N]`.
 *
 * Builds a fresh SQLite database (the embedded default) in the temp directory with N
 * accounts (default 1,500,000) in `--orgs` organisations (default 10,000; every tenth has a
 * 90-day lifetime, one in a hundred has expiry off, the rest 365 days), passwords set
 * evenly over the past year. Then, timed:
 *  0. baseline: one bare SELECT of every account's id, address, name and password time
 *     (joined to its organisation, as the job must) — the cost of merely reading them;
 *  1. first run of the reminder job (catch-up: every account in the last 18 days before
 *     expiry gets its current reminder) — schedule only, into the outbox;
 *  2. render + DKIM-sign the scheduled reminders as the outbox runner would (decrypt the
 *     payload, Nunjucks text and HTML, nodemailer MIME, mailauth RSA-2048 signature), all or
 *     the first `--render` of them; no delivery (disk fsync is not what is measured);
 *  3. the next day's run (steady state: accounts crossing a mark since yesterday);
 *  4. the same run again (nothing new: the cost of an idempotent rerun).
 * Prints each time, the baseline, and the ratios. Compare ratios between machines, not absolutes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import SqliteDatabase from 'better-sqlite3';
import { ManualClock } from '../src/platform/clock.js';
import { decryptSecret, deriveKey } from '../src/platform/crypto/secrets.js';
import { migrateToLatest, openDatabase } from '../src/platform/db/db.js';
import { migrations } from '../src/main/migrations.js';
import { newId } from '../src/platform/ids.js';
import { composeSignedEmail } from '../src/platform/notify/mailer.js';
import { renderEmail } from '../src/platform/notify/render.js';
import { testConfig } from '../src/platform/testing/app.js';
import { DAY_MS } from '../src/reminders/reminders.js';
import { REMINDER_TEMPLATE, runPasswordReminders } from '../src/reminders/reminders.job.js';

const { values: args } = parseArgs({
  options: {
    accounts: { type: 'string', default: '1500000' },
    orgs: { type: 'string', default: '10000' },
    render: { type: 'string', default: 'all' },
  },
});
function positive(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
}
const ACCOUNTS = positive(args.accounts!, 'accounts');
const ORGS = Math.min(positive(args.orgs!, 'orgs'), ACCOUNTS);
const RENDER = args.render === 'all' ? Infinity : positive(args.render!, 'render');

const dir = mkdtempSync(path.join(tmpdir(), 'pw-bench-reminders-'));
const file = path.join(dir, 'bench.sqlite');
const config = testConfig({ dataDir: dir, databaseUrl: `sqlite:${file}`, publicUrl: 'https://portal.postwarden.test' });
const now = new Date('2026-06-15T09:00:00.000Z');
const fmt = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const rate = (n: number, ms: number): string => `${Math.round(n / (ms / 1000)).toLocaleString('en-GB')}/s`;

async function seed(): Promise<void> {
  const h = await openDatabase(`sqlite:${file}`);
  await migrateToLatest(h.db, migrations);
  await h.close();
  const raw = new SqliteDatabase(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = OFF');
  raw.pragma('cache_size = -262144');
  const at = now.toISOString();
  const orgIds: string[] = [];
  const insOrg = raw.prepare(`INSERT INTO organisations (id, code, name, high_risk_areas, la_contact, created_at, updated_at, password_lifetime_days) VALUES (?, ?, ?, '["Finance","HR"]', 'la', ?, ?, ?)`);
  raw.transaction(() => {
    for (let i = 0; i < ORGS; i++) {
      const id = newId(now.getTime() - ORGS + i);
      orgIds.push(id);
      insOrg.run(id, `B${i}`, `Bench Trust ${i}`, at, at, i % 100 === 99 ? null : i % 10 === 9 ? 90 : 365);
    }
  })();
  const insAcc = raw.prepare(`INSERT INTO accounts (id, organisation_id, email, display_name, business_area, status, status_reason, mobile, password_hash, password_changed_at, must_change_password, created_at, updated_at)
    VALUES (?, ?, ?, ?, 'Clinical', 'active', NULL, NULL, '$argon2id$bench', ?, 0, ?, ?)`);
  const BATCH = 20_000;
  for (let start = 0; start < ACCOUNTS; start += BATCH) {
    raw.transaction(() => {
      for (let i = start; i < Math.min(ACCOUNTS, start + BATCH); i++) {
        const org = orgIds[i % ORGS]!;
        // Passwords set evenly over the past year (a 90-day org's accounts land all over too).
        const changed = new Date(now.getTime() - ((i * 7919) % ACCOUNTS) / ACCOUNTS * 365 * DAY_MS).toISOString();
        insAcc.run(newId(now.getTime() - ACCOUNTS + i), org, `user${i}@b${i % ORGS}.bench.example`, `Bench User ${i}`, changed, at, at);
      }
    })();
    if (process.stdout.isTTY) process.stdout.write(`\r  seeding accounts: ${Math.min(ACCOUNTS, start + BATCH).toLocaleString('en-GB')}`);
  }
  if (process.stdout.isTTY) process.stdout.write('\n');
  raw.pragma('wal_checkpoint(TRUNCATE)');
  raw.exec('ANALYZE');
  raw.close();
}

async function main(): Promise<void> {
  console.log(`Reminder benchmark: ${ACCOUNTS.toLocaleString('en-GB')} accounts in ${ORGS.toLocaleString('en-GB')} organisations, SQLite (${file})`);
  let t = performance.now();
  await seed();
  console.log(`  seeded in ${fmt(performance.now() - t)} (not measured)`);

  const handle = await openDatabase(`sqlite:${file}`);
  const { db } = handle;
  try {
    // 0. Baseline: read every account once, as bare as the driver allows.
    const raw = new SqliteDatabase(file, { readonly: true });
    t = performance.now();
    let n = 0;
    for (const _row of raw.prepare(`SELECT a.id, a.email, a.display_name, a.password_changed_at FROM accounts a JOIN organisations o ON o.id = a.organisation_id WHERE o.password_lifetime_days IS NOT NULL AND a.status = 'active'`).iterate()) n++;
    const baseline = performance.now() - t;
    raw.close();
    console.log(`\n0. baseline: bare SELECT of ${n.toLocaleString('en-GB')} accounts with lifetimes: ${fmt(baseline)} (${rate(n, baseline)})`);

    const clock = new ManualClock(now);
    t = performance.now();
    const first = await runPasswordReminders({ db, config, clock });
    const firstMs = performance.now() - t;
    console.log(`1. first run (catch-up): ${first.queued.toLocaleString('en-GB')} reminders scheduled in ${fmt(firstMs)} (${rate(first.queued, firstMs)}), ${first.scanned.toLocaleString('en-GB')} accounts read`);
    console.log(`   ratio to baseline: ${(firstMs / baseline).toFixed(2)}× the time to merely read every account`);

    const key = deriveKey(config.secretKey, 'notifications');
    const rows = await db.selectFrom('notifications').select(['id', 'recipient', 'payload_enc']).where('template', '=', REMINDER_TEMPLATE).orderBy('id').limit(Number.isFinite(RENDER) ? RENDER : first.queued).execute();
    t = performance.now();
    const cpu = process.cpuUsage();
    let bytes = 0;
    for (const r of rows) {
      const data = JSON.parse(decryptSecret(key, r.payload_enc!)) as Record<string, unknown>;
      const m = renderEmail(config, REMINDER_TEMPLATE, data);
      const out = await composeSignedEmail(config, { to: r.recipient, subject: m.subject, text: m.text, html: m.html, messageId: `<${r.id}@${config.platformDomain}>`, date: now });
      bytes += out.raw.length;
    }
    const renderMs = performance.now() - t;
    const used = process.cpuUsage(cpu);
    console.log(`2. render + DKIM-sign: ${rows.length.toLocaleString('en-GB')} reminders in ${fmt(renderMs)} (${rate(rows.length, renderMs)}, ${(renderMs * 1000 / rows.length).toFixed(0)} µs each; CPU ${((used.user + used.system) / rows.length).toFixed(0)} µs each; ${Math.round(bytes / rows.length)} bytes each)`);

    clock.advance(DAY_MS);
    t = performance.now();
    const next = await runPasswordReminders({ db, config, clock });
    const nextMs = performance.now() - t;
    console.log(`3. next day: ${next.queued.toLocaleString('en-GB')} reminders scheduled in ${fmt(nextMs)} (${next.scanned.toLocaleString('en-GB')} accounts read); ratio to baseline ${(nextMs / baseline).toFixed(3)}×`);

    t = performance.now();
    const again = await runPasswordReminders({ db, config, clock });
    const againMs = performance.now() - t;
    console.log(`4. rerun at the same moment: ${again.queued} scheduled in ${fmt(againMs)}; ratio to baseline ${(againMs / baseline).toFixed(3)}×`);

    const perDay = Number.isFinite(RENDER) ? undefined : nextMs + (renderMs / Math.max(1, rows.length)) * next.queued;
    console.log(`\nSummary: baseline read ${fmt(baseline)}; catch-up schedule ${fmt(firstMs)} (${(firstMs / baseline).toFixed(2)}×); daily schedule ${fmt(nextMs)} (${(nextMs / baseline).toFixed(3)}×)` +
      (perDay ? `; a day's schedule + render ≈ ${fmt(perDay)} (${(perDay / baseline).toFixed(2)}×)` : ''));
  } finally {
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  rmSync(dir, { recursive: true, force: true });
  process.exit(1);
});
