/**
 * Sender-history benchmark: `npm run bench:mailtips -- [--pairs N] [--queries N]`.
 *
 * Builds the in-memory pair cache of the MailTips service (open addressing over typed arrays,
 * SipHash-2-4 keys) with N known (recipient, sender) pairs (default 10,000,000), and beside it,
 * in the same run, a plain JavaScript Set of the same keys (53 bits of each 64-bit key as a
 * number). Prints, for both:
 *  1. bytes per known pair: the table's array bytes / N, and the measured growth of
 *     process.memoryUsage() (arrayBuffers for the table, heapUsed for the Set, after GC);
 *  2. decisions per second on already-hashed keys (half known, half unknown);
 *  3. decisions per second from raw address strings (normalisation and keyed hash, SipHash-2-4
 *     over the UTF-8 bytes of both addresses, included);
 * then the cost per call of the public API with a warm cache (decide() over SQLite, one
 * recipient) and of the per-message stamping functions on a 5 KB message.
 * Targets: ≥ 2,000,000/s hashed, ≥ 500,000/s raw, ≤ 24 bytes per pair. Compare ratios
 * between machines, not absolutes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { HistoryKeys } from '../src/mailtips/keys.js';
import { scanAccountLinkLure } from '../src/mailtips/lure.js';
import type { TipDecision } from '../src/mailtips/mailtips.js';
import { openMailtips } from '../src/mailtips/mailtips.service.js';
import { PairTable } from '../src/mailtips/pairtable.js';
import { sipOut } from '../src/mailtips/siphash.js';
import { stampTips, stripImitations } from '../src/mailtips/stamp.js';
import { migrateToLatest, openDatabase } from '../src/platform/db/db.js';
import { migrations } from '../src/main/migrations.js';
import { type Config, loadConfig } from '../src/platform/config/config.js';
import { configSections } from '../src/main/config.js';

/** The real config schema (without the HTTP test harness, which loads every route). */
const testConfig = (overrides: Record<string, unknown> = {}): Config =>
  loadConfig(configSections, {}, { dataDir: path.join(tmpdir(), 'pw-mailtips'), secretKey: '5a'.repeat(32), logLevel: 'silent', ...overrides });

const { values: args } = parseArgs({ options: { pairs: { type: 'string', default: '10000000' }, queries: { type: 'string', default: '2000000' } } });
const PAIRS = positive('pairs');
const QUERIES = positive('queries');

function positive(name: keyof typeof args): number {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const settle = (): NodeJS.MemoryUsage => {
  gc();
  gc();
  return process.memoryUsage();
};

// Pair i: recipient i mod R (one of a million mailboxes), sender ⌊i / R⌋.
const R = Math.min(PAIRS, 1_000_000);
const recipientOf = (i: number): string => `user${i % R}@org${i % 1009}.nhs.example`;
const senderOf = (i: number): string => `Sender${Math.floor(i / R)}@Partner${Math.floor(i / R) % 97}.example`;
const keys = new HistoryKeys(Buffer.alloc(32, 0x5a));
const fmt = (n: number): string => Math.round(n).toLocaleString('en-GB');

console.log(`MailTips sender history: ${fmt(PAIRS)} known pairs, ${fmt(QUERIES)} queries (half known)\n`);

// Build the table.
let mem0 = settle();
let t0 = performance.now();
const table = new PairTable(Number.MAX_SAFE_INTEGER, 1 << 16);
for (let i = 0; i < PAIRS; i++) {
  const lo = keys.pairHash(recipientOf(i), senderOf(i));
  table.set(sipOut[0]!, lo, 20_000);
}
const buildTable = performance.now() - t0;
let mem1 = settle();
const tableMeasured = (mem1.arrayBuffers - mem0.arrayBuffers) / PAIRS;

// Query keys: even queries known (pair q), odd ones unknown (pair PAIRS + q).
const qhi = new Uint32Array(QUERIES);
const qlo = new Uint32Array(QUERIES);
const qnum = new Float64Array(QUERIES);
for (let q = 0; q < QUERIES; q++) {
  const i = q % 2 === 0 ? Math.floor((q / 2) * 7919) % PAIRS : PAIRS + q;
  qlo[q] = keys.pairHash(recipientOf(i), senderOf(i));
  qhi[q] = sipOut[0]!;
  qnum[q] = (qhi[q]! & 0x1fffff) * 0x100000000 + qlo[q]!;
}

// The Set of the same keys.
mem0 = settle();
t0 = performance.now();
const set = new Set<number>();
for (let i = 0; i < PAIRS; i++) {
  const lo = keys.pairHash(recipientOf(i), senderOf(i));
  set.add((sipOut[0]! & 0x1fffff) * 0x100000000 + lo);
}
const buildSet = performance.now() - t0;
mem1 = settle();
const setMeasured = (mem1.heapUsed - mem0.heapUsed) / PAIRS;

function rate(run: () => number, n: number): { perSec: number; hits: number } {
  run(); // warm up the JIT on the same loop
  const start = performance.now();
  const hits = run();
  return { perSec: n / ((performance.now() - start) / 1000), hits };
}

const tableHashed = rate(() => {
  let hits = 0;
  for (let q = 0; q < QUERIES; q++) if (table.get(qhi[q]!, qlo[q]!) >= 0) hits++;
  return hits;
}, QUERIES);
const setHashed = rate(() => {
  let hits = 0;
  for (let q = 0; q < QUERIES; q++) if (set.has(qnum[q]!)) hits++;
  return hits;
}, QUERIES);

// Raw strings: the address strings exist before the decision (as they do in the gateway).
const RAW = Math.min(QUERIES, 500_000);
const rawR: string[] = [];
const rawS: string[] = [];
for (let q = 0; q < RAW; q++) {
  const i = q % 2 === 0 ? Math.floor((q / 2) * 7919) % PAIRS : PAIRS + q;
  rawR.push(recipientOf(i));
  rawS.push(senderOf(i));
}
const tableRaw = rate(() => {
  let hits = 0;
  for (let q = 0; q < RAW; q++) {
    const lo = keys.pairHash(rawR[q]!, rawS[q]!);
    if (table.get(sipOut[0]!, lo) >= 0) hits++;
  }
  return hits;
}, RAW);
const setRaw = rate(() => {
  let hits = 0;
  for (let q = 0; q < RAW; q++) {
    const lo = keys.pairHash(rawR[q]!, rawS[q]!);
    if (set.has((sipOut[0]! & 0x1fffff) * 0x100000000 + lo)) hits++;
  }
  return hits;
}, RAW);

const tableBytes = table.byteLength / PAIRS;
const row = (name: string, a: string, b: string, ratio: string): string => `${name.padEnd(34)}${a.padStart(16)}${b.padStart(16)}${ratio.padStart(10)}`;
console.log(row('', 'typed table', 'Set<number>', 'ratio'));
console.log(row('build (pairs/s)', fmt(PAIRS / (buildTable / 1000)), fmt(PAIRS / (buildSet / 1000)), (buildSet / buildTable).toFixed(2) + '×'));
console.log(row('bytes per pair (arrays / heap)', tableBytes.toFixed(1), setMeasured.toFixed(1), (setMeasured / tableBytes).toFixed(2) + '×'));
console.log(row('bytes per pair (memoryUsage)', tableMeasured.toFixed(1), setMeasured.toFixed(1), ''));
console.log(row('decisions/s, hashed keys', fmt(tableHashed.perSec), fmt(setHashed.perSec), (tableHashed.perSec / setHashed.perSec).toFixed(2) + '×'));
console.log(row('decisions/s, raw address strings', fmt(tableRaw.perSec), fmt(setRaw.perSec), (tableRaw.perSec / setRaw.perSec).toFixed(2) + '×'));
if (tableHashed.hits !== setHashed.hits || tableRaw.hits !== setRaw.hits) throw new Error('table and Set disagree');
console.log(`(table: capacity ${fmt(table.capacity)} slots, load ${(table.size / table.capacity).toFixed(2)}; known answers ${fmt(tableHashed.hits)} of ${fmt(QUERIES)})`);

// The public API with a warm cache, over SQLite.
const dir = mkdtempSync(path.join(tmpdir(), 'pw-bench-mailtips-'));
const handle = await openDatabase(`sqlite:${path.join(dir, 'bench.sqlite')}`);
await migrateToLatest(handle.db, migrations);
const svc = await openMailtips(handle.db, testConfig({ mailtipsVolumeCacheSeconds: 3600 }));
const now = new Date();
const warm = 1000;
for (let i = 0; i < warm; i++) await svc.recordDelivered([recipientOf(i)], senderOf(i), now);
await svc.decide([recipientOf(0)], senderOf(0), now);
const CALLS = 200_000;
const cpu0 = process.cpuUsage();
for (let i = 0; i < CALLS; i++) await svc.decide([recipientOf(i % warm)], senderOf(0), now);
const cpu1 = process.cpuUsage(cpu0);
const decideUs = (cpu1.user + cpu1.system) / CALLS;
await svc.close();
await handle.close();
rmSync(dir, { recursive: true, force: true });

// Per-message stamping costs on a 5 KB multipart message.
const body = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(40);
const raw = Buffer.from(['Received: by mx.example', 'From: a@partner.example', 'To: b@org1.nhs.example', 'Subject: bench', 'MIME-Version: 1.0', 'Content-Type: multipart/alternative; boundary=bb', '',
  '--bb', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable', '', body, '--bb', 'Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable', '',
  `<html><body><p>${body}</p></body></html>`, '--bb--', ''].join('\r\n'));
const tip: TipDecision = { firstContact: true, lowVolume: true, senderCount: 1, threshold: 5, windowDays: 90, accountLinkWarning: false, exempt: null };
/** CPU µs per call (user + system time of this process, so other load on the machine counts less). */
const perCall = (fn: () => unknown, n: number): number => {
  for (let i = 0; i < 1000; i++) fn();
  const cpu = process.cpuUsage();
  for (let i = 0; i < n; i++) fn();
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / n;
};
console.log(`\nCPU per call (${raw.length} byte message): decide() warm ${decideUs.toFixed(2)} µs · stripImitations (nothing to strip) ${perCall(() => stripImitations(raw), 50_000).toFixed(2)} µs · ` +
  `stampTips ${perCall(() => stampTips(raw, tip, { serviceName: 'Postwarden' }), 5000).toFixed(1)} µs · scanAccountLinkLure ${perCall(() => scanAccountLinkLure(raw), 5000).toFixed(1)} µs`);

const ok = (b: boolean): string => (b ? 'met' : 'NOT met');
console.log(`\ntargets: hashed ≥ 2,000,000/s ${ok(tableHashed.perSec >= 2e6)}; raw ≥ 500,000/s ${ok(tableRaw.perSec >= 5e5)}; ≤ 24 bytes/pair ${ok(tableBytes <= 24 && tableMeasured <= 24)}`);
