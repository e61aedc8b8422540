/**
 * Report intake benchmark: `npm run bench:reports -- [--reports N] [--postgres] [--corpus]`.
 *
 * Ingests N reports (default 2000) through `ingestReportMail`, the function the gateway
 * calls for mail to the reporting address: split the report, parse each sample, extract
 * indicators, group into campaigns, store everything verbatim, queue the acknowledgement.
 * One report at a time, into a fresh SQLite file in the temp directory (with --postgres
 * also into a fresh PostgreSQL schema at PW_BENCH_PG_URL, dropped afterwards).
 *
 * The mix (every sample new unless marked): 45% a message/rfc822 attachment (text + HTML
 * with links; two thirds 8bit as mail clients send it, one third base64), 15% an .eml attachment with a ~60 KB HTML body, 10% an
 * Outlook .msg, 10% an inline forward (headers lost), 10% an ARF report, 10% a duplicate
 * of an earlier sample. With --corpus, files of ../shared/corpora/{reports,mime} join the
 * mix as further attachments.
 *
 * Same-run baseline: a bare `mailparser` simpleParser of the same samples (what any parser
 * must do once), then the ratio intake/baseline. Target: ≥ 200 reports/s on SQLite.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { simpleParser } from 'mailparser';
import pg from 'pg';
import { type DatabaseHandle, migrateToLatest, openDatabase } from '../src/platform/db/db.js';
import { migrations } from '../src/main/migrations.js';
import { testConfig } from '../src/platform/testing/app.js';
import { makeAccount, makeOrganisation } from '../src/platform/testing/factories.js';
import { buildTestMsg } from '../src/reports/msg.testing.js';
import { ingestReportMail } from '../src/reports/reports.gateway.js';
import { arfReport, inlineForward, phishMessage, reportWith } from '../src/reports/reports.testing.js';

const { values: args } = parseArgs({
  options: { reports: { type: 'string', default: '2000' }, postgres: { type: 'boolean', default: false }, corpus: { type: 'boolean', default: false } },
});
const N = Number(args.reports);
if (!Number.isInteger(N) || N < 10) throw new Error('--reports must be an integer ≥ 10');
const PG_URL = process.env.PW_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TARGET = 200;

interface Item { report: Buffer; samples: Buffer[]; from: string }

function corpusFiles(): Buffer[] {
  const root = path.resolve(import.meta.dirname, '..', '..', 'shared', 'corpora');
  const out: Buffer[] = [];
  for (const d of ['reports', 'mime']) {
    const dir = path.join(root, d);
    if (!existsSync(dir)) { console.warn(`!!! ${dir} missing: --corpus adds nothing from it !!!`); continue; }
    for (const f of readdirSync(dir).filter((x) => !/\.(tsv|json|md)$/.test(x))) out.push(readFileSync(path.join(dir, f)));
  }
  return out;
}

/** The mix, built before timing starts. */
function buildMix(n: number, reporters: string[]): Item[] {
  const pad = randomBytes(45_000).toString('base64');
  const corpus = args.corpus ? corpusFiles() : [];
  const items: Item[] = [];
  for (let i = 0; i < n; i++) {
    const from = reporters[i % reporters.length]!;
    const domain = `phish${i % 300}.example`;
    const r = i % 20;
    const subject = `Invoice ${i} overdue – action required ${i % 37}`;
    const url = `https://login.${domain}/verify?u=${i}`;
    let sample: Buffer;
    if (r < 2 && items.length > 10) {
      const earlier = items[(i * 7) % items.length]!;
      items.push({ report: reportWith([{ bytes: earlier.samples[0]!, encoding: '8bit' }], { from }), samples: earlier.samples, from });
      continue;
    } else if (corpus.length && r === 2) {
      sample = corpus[i % corpus.length]!;
      items.push({ report: reportWith([{ bytes: sample }], { from }), samples: [sample], from });
      continue;
    } else if (r < 5) {
      // A long HTML body (~60 KB) stands in for a sample with a sizeable part.
      sample = phishMessage({ subject, url, from: `billing@${domain}`, html: `<p>Pay <a href="${url}">here</a></p><p>${pad}</p>` });
      const big = sample;
      items.push({ report: reportWith([{ bytes: big, contentType: 'application/octet-stream', filename: 'invoice.eml' }], { from }), samples: [big], from });
      continue;
    } else if (r < 7) {
      sample = buildTestMsg({ subject, senderEmail: `billing@${domain}`, body: `Pay at ${url}`, headers: `Received: from mx.${domain} by mx.postwarden.test; Mon, 2 Mar 2026 10:00:00 +0000\r\nFrom: <billing@${domain}>\r\nSubject: ${subject}\r\n` });
      items.push({ report: reportWith([{ bytes: sample, contentType: 'application/vnd.ms-outlook', filename: 'invoice.msg' }], { from }), samples: [sample], from });
      continue;
    } else if (r < 9) {
      const report = inlineForward({ from, phishFrom: `billing@${domain}`, subject, url });
      items.push({ report, samples: [report], from });
      continue;
    } else if (r < 11) {
      sample = phishMessage({ subject, url, from: `billing@${domain}` });
      items.push({ report: arfReport(sample), samples: [sample], from: 'abuse@isp.example' });
      continue;
    }
    sample = phishMessage({ subject, url, from: `billing@${domain}` });
    // Mail clients forward as attachment with message/rfc822 in 7bit/8bit (RFC 2046 forbids base64 there); some use base64.
    items.push({ report: reportWith([{ bytes: sample, encoding: r % 3 === 0 ? 'base64' : '8bit' }], { from }), samples: [sample], from });
  }
  return items;
}

async function baseline(items: Item[]): Promise<number> {
  const t0 = performance.now();
  for (const it of items) for (const s of it.samples) await simpleParser(s);
  return items.length / ((performance.now() - t0) / 1000);
}

async function runOn(label: string, handle: DatabaseHandle): Promise<number> {
  const config = testConfig({ reportMaxPerReporterPerHour: 100_000 });
  const org = await makeOrganisation(handle.db, { domains: [`bench-${randomBytes(3).toString('hex')}.example`] });
  const reporters: string[] = [];
  for (let i = 0; i < 20; i++) reporters.push((await makeAccount(handle.db, { organisationId: org.id, email: `reporter${i}@${org.domain}`, password: null })).email);
  const items = buildMix(N, reporters);
  const bytes = items.reduce((n, it) => n + it.report.length, 0);
  // Warm-up outside the timing (JIT, statement cache).
  for (const it of buildMix(20, reporters)) await ingestReportMail(handle.db, config, new Date(), it.report, { mailFrom: it.from, rcptTo: ['spamreports@postwarden.test'], remoteAddress: '127.0.0.1', internalSenderAccountId: null });
  const base = await baseline(items);
  const t0 = performance.now();
  for (const it of items) {
    await ingestReportMail(handle.db, config, new Date(), it.report, { mailFrom: it.from, rcptTo: ['spamreports@postwarden.test'], remoteAddress: '127.0.0.1', internalSenderAccountId: null });
  }
  const secs = (performance.now() - t0) / 1000;
  const rate = N / secs;
  const samples = await handle.db.selectFrom('report_samples').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  console.log(`\n[${label}] ${N} reports (${(bytes / 1048576).toFixed(1)} MB, ${Number(samples.n)} distinct samples incl. warm-up) in ${secs.toFixed(2)} s`);
  console.log(`  intake (split, parse, indicators, campaign, store, acknowledge): ${rate.toFixed(0)} reports/s, ${(1000 / rate).toFixed(2)} ms each`);
  console.log(`  baseline (mailparser simpleParser of the same samples, nothing else): ${base.toFixed(0)} reports/s`);
  console.log(`  ratio intake/baseline: ${(rate / base).toFixed(2)}`);
  if (label === 'sqlite') console.log(`  target ≥ ${TARGET}/s on SQLite: ${rate >= TARGET ? 'met' : 'NOT met'}`);
  return rate;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pw-bench-reports-'));
  try {
    const handle = await openDatabase(`sqlite:${path.join(dir, 'bench.sqlite')}`);
    await migrateToLatest(handle.db, migrations);
    try { await runOn('sqlite', handle); } finally { await handle.close(); }
    if (args.postgres) {
      const schema = `bench_reports_${randomBytes(4).toString('hex')}`;
      const u = new URL(PG_URL);
      u.searchParams.set('schema', schema);
      const h = await openDatabase(u.toString(), { poolSize: 4 });
      try {
        await migrateToLatest(h.db, migrations, h.schema);
        await runOn('postgres', h);
      } finally {
        await h.close();
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => c.end());
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
