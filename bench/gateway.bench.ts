/**
 * SMTP gateway benchmark: `npm run bench:gateway -- [--messages N] [--burst-messages N]
 *   [--connections 20] [--burst 200] [--workers auto|N] [--relay-workers N] [--only a,b,c,d]
 *   [--modes reused,single] [--code dist|src] [--keep]` (--keep leaves the data directory for
 *   profiling; --code src runs (c)/(d) through tsx instead of the compiled build)
 *
 * Drives each server with Postfix's `smtp-source` (apt-get install postfix; only its tools,
 * never the daemon) into `smtp-sink`, with a DKIM-signed ~5 KB message (SPF, DKIM and DMARC
 * all pass through a local zone file: no network), in two modes:
 *   reused — 20 connections each reused for many messages (an edge MTA with connection caching);
 *   single — 200 concurrent connections with one message each (internet-style).
 * and prints, from the same run:
 *   (a) the ceiling: smtp-source → smtp-sink directly;
 *   (b) a bare relay of the same libraries (smtp-server → pooled nodemailer), no inspection
 *       (--relay-workers processes, default 1 — the baseline in ../shared/BENCHMARKS.md);
 *   (c) the full Postwarden pipeline with default settings (`gatewayWorkers=auto`: one worker
 *       per core) over the embedded SQLite database, relaying to the sink;
 *   (d) the same with ARC sealing on.
 * For each: messages/s, CPU µs per message of the server's processes (/proc/PID/stat, summed
 * over the primary and its workers), p50/p99 latency of a probe connection sending one
 * message every 25 ms during the load and the latency it adds over (a), and peak memory
 * (VmHWM summed over the processes). Targets (reused mode): (c) ≥ 40 % of (b) and ≥ 1,800 msg/s.
 * Compare ratios between machines, not absolutes.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import cluster from 'node:cluster';
import { createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { dkimSign } from 'mailauth';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '20000' },
    'burst-messages': { type: 'string', default: '4000' },
    connections: { type: 'string', default: '20' },
    burst: { type: 'string', default: '200' },
    workers: { type: 'string', default: 'auto' },
    'relay-workers': { type: 'string', default: '1' },
    only: { type: 'string', default: 'a,b,c,d' },
    modes: { type: 'string', default: 'reused,single' },
    role: { type: 'string' },
    keep: { type: 'boolean', default: false },
    /** Which build (c)/(d) run: 'dist' (compiled, as `npm start` runs it; `npm run bench:gateway` builds first) or 'src' (through tsx). */
    code: { type: 'string', default: 'dist' },
  },
});

const SENDER = 'news@sender.example';
const RCPT = 'reader@bench.example';
const ROOT = path.resolve(import.meta.dirname, '..');

if (args.role === 'relay') await runRelay();
else if (args.role === 'gateway') await runGateway();
else await main();

// ---------------------------------------------------------------- (b) the bare relay
async function runRelay(): Promise<void> {
  const workers = Number(process.env.BENCH_RELAY_WORKERS ?? '1');
  if (cluster.isPrimary && workers > 1) {
    let ready = 0;
    for (let i = 0; i < workers; i++) {
      cluster.fork().on('message', (m: string) => {
        if (m === 'listening' && ++ready === workers) console.log(`READY ${process.env.BENCH_PORT}`);
      });
    }
    return;
  }
  const sink = Number(process.env.BENCH_SINK_PORT);
  const transport = nodemailer.createTransport({ pool: true, host: '127.0.0.1', port: sink, maxConnections: 10, maxMessages: Infinity, secure: false, ignoreTLS: true });
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], disableReverseLookup: true, logger: false, size: 25 * 1024 * 1024,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        transport.sendMail({ envelope: { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address) }, raw: Buffer.concat(chunks) })
          .then(() => cb(null, 'queued'), (err: Error & { responseCode?: number }) => cb(Object.assign(new Error(err.message), { responseCode: 451 })));
      });
    },
  });
  server.listen(Number(process.env.BENCH_PORT), '127.0.0.1', () => {
    if (cluster.isWorker) process.send!('listening');
    else console.log(`READY ${process.env.BENCH_PORT}`);
  });
}

// ---------------------------------------------------------------- (c)/(d) the real gateway
async function runGateway(): Promise<void> {
  // The compiled build by default: the workers then run plain JavaScript, as in production.
  const base = process.env.BENCH_CODE === 'src' ? '../src' : '../dist';
  const { loadConfig } = (await import(`${base}/platform/config/config.js`)) as typeof import('../src/platform/config/config.js');
  const { configSections } = (await import(`${base}/main/config.js`)) as typeof import('../src/main/config.js');
  const { openDatabase } = (await import(`${base}/platform/db/db.js`)) as typeof import('../src/platform/db/db.js');
  const { createLogger } = (await import(`${base}/platform/log/log.js`)) as typeof import('../src/platform/log/log.js');
  const { startGatewayProcesses } = (await import(`${base}/gateway/gateway.cluster.js`)) as typeof import('../src/gateway/gateway.cluster.js');
  const config = loadConfig(configSections);
  const handle = await openDatabase(config.databaseUrl);
  const gw = await startGatewayProcesses(config, createLogger(config.logLevel), handle.db);
  console.log(`READY ${gw.address.split(':').pop()}`);
  process.on('SIGTERM', () => void gw.stop().then(() => handle.close()).then(() => process.exit(0)));
}

// ---------------------------------------------------------------- the driver
interface Figures {
  label: string;
  mode: string;
  msgs: number;
  seconds: number;
  rate: number;
  cpuUs: number | null;
  p50: number;
  p99: number;
  peakMb: number | null;
  failed: boolean;
}

async function main(): Promise<void> {
  for (const tool of ['smtp-source', 'smtp-sink']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      console.error(`${tool} not found: apt-get install -y postfix (only its tools are used; do not start the daemon).`);
      process.exit(2);
    }
  }
  const only = new Set(args.only!.split(','));
  const modes = args.modes!.split(',').filter((m) => m === 'reused' || m === 'single');
  const dir = mkdtempSync(path.join(tmpdir(), 'pw-bench-gw-'));
  const setup = await prepare(dir);
  const sinkPort = await freePort();
  const sink = spawn('smtp-sink', ['-u', 'nobody', `127.0.0.1:${sinkPort}`, '1000'], { stdio: 'ignore' });
  await waitForPort(sinkPort);
  const results: Figures[] = [];
  const baseEnv = {
    PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', POSTWARDEN_DATA_DIR: dir, POSTWARDEN_SECRET_KEY: setup.secretKey,
    POSTWARDEN_PLATFORM_DOMAIN: 'platform.example', POSTWARDEN_RELAY: `smtp://127.0.0.1:${sinkPort}`, POSTWARDEN_DNS_RESOLVER: 'none',
    POSTWARDEN_DNS_ZONE_FILE: setup.zoneFile, POSTWARDEN_GATEWAY_WORKERS: args.workers!, POSTWARDEN_LOG_LEVEL: 'warn',
    // Every simulated client connects from 127.0.0.1: 200 at once would be over the per-address limit.
    POSTWARDEN_SMTP_MAX_CONNECTIONS_PER_CLIENT: '0',
  };
  try {
    for (const mode of modes) {
      if (only.has('a')) results.push(await measure('(a) smtp-source → smtp-sink', mode, sinkPort, null, setup.messageFile));
      if (only.has('b')) {
        const port = await freePort();
        const srv = spawn(process.execPath, [...process.execArgv, import.meta.filename, '--role', 'relay'], {
          env: { ...baseEnv, BENCH_PORT: String(port), BENCH_SINK_PORT: String(sinkPort), BENCH_RELAY_WORKERS: args['relay-workers']! }, stdio: ['ignore', 'pipe', 'inherit'],
        });
        results.push(await measure(`(b) bare relay ×${args['relay-workers']}`, mode, await ready(srv), srv, setup.messageFile));
        await stop(srv);
      }
      for (const [key, label, seal] of [['c', '(c) Postwarden, defaults', 'false'], ['d', '(d) Postwarden + ARC seal', 'true']] as const) {
        if (!only.has(key)) continue;
        const port = await freePort();
        const srv = spawn(process.execPath, [...process.execArgv, import.meta.filename, '--role', 'gateway'], {
          cwd: ROOT, env: { ...baseEnv, BENCH_CODE: args.code!, POSTWARDEN_SMTP_ADDR: `127.0.0.1:${port}`, POSTWARDEN_ARC_SEAL: seal }, stdio: ['ignore', 'pipe', 'inherit'],
        });
        results.push(await measure(label, mode, await ready(srv), srv, setup.messageFile));
        await stop(srv);
      }
    }
  } finally {
    sink.kill('SIGTERM');
    if (args.keep) console.log(`kept ${dir} (secret key ${setup.secretKey})`);
    else rmSync(dir, { recursive: true, force: true });
  }
  report(results);
}

async function prepare(dir: string): Promise<{ secretKey: string; zoneFile: string; messageFile: string }> {
  const secretKey = randomUUID().replace(/-/g, '') + randomUUID().replace(/-/g, '');
  const { loadConfig } = await import('../src/platform/config/config.js');
  const { configSections } = await import('../src/main/config.js');
  const { migrateToLatest, openDatabase } = await import('../src/platform/db/db.js');
  const { migrations } = await import('../src/main/migrations.js');
  const { ensureDkimKey } = await import('../src/platform/notify/dkim.js');
  const { insertAccount, replaceOrganisationDomains, upsertOrganisation } = await import('../src/directory/directory.repo.js');
  const config = loadConfig(configSections, {}, { dataDir: dir, secretKey, platformDomain: 'platform.example' });
  ensureDkimKey(config);
  const h = await openDatabase(config.databaseUrl);
  await migrateToLatest(h.db, migrations);
  const now = new Date().toISOString();
  const org = await upsertOrganisation(h.db, { id: randomUUID(), code: 'BENCH', name: 'Bench Trust', highRiskAreas: [], laContact: 'la', now });
  await replaceOrganisationDomains(h.db, org.id, ['bench.example']);
  await insertAccount(h.db, { id: randomUUID(), organisationId: org.id, email: RCPT, displayName: 'Reader', businessArea: 'IT', mobile: null, passwordHash: null, mustChangePassword: false, now });
  await h.close();
  // The sender's DNS, answered from a zone file (POSTWARDEN_DNS_RESOLVER=none: no network).
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const spki = createPublicKey(pem).export({ type: 'spki', format: 'der' }).toString('base64');
  const zoneFile = path.join(dir, 'zone.json');
  writeFileSync(zoneFile, JSON.stringify({
    'sender.example': { TXT: ['v=spf1 ip4:127.0.0.0/8 -all'] },
    's1._domainkey.sender.example': { TXT: [[`v=DKIM1; k=rsa; p=${spki.slice(0, 200)}`, spki.slice(200)]] },
    '_dmarc.sender.example': { TXT: ['v=DMARC1; p=reject'] },
  }));
  const line = 'The quick brown fox jumps over the lazy dog, again and again, for the benchmark.';
  const body = Array.from({ length: 60 }, () => line).join('\r\n') + '\r\n';
  const head = `From: Newsletter <${SENDER}>\r\nTo: ${RCPT}\r\nSubject: Weekly bulletin\r\nDate: ${new Date().toUTCString()}\r\nMessage-ID: <${randomUUID()}@sender.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n`;
  const signed = await dkimSign(head + '\r\n' + body, { signatureData: [{ signingDomain: 'sender.example', selector: 's1', privateKey: pem }] });
  const messageFile = path.join(dir, 'message.eml');
  // smtp-source appends CRLF to each line itself.
  writeFileSync(messageFile, (signed.signatures + head + '\r\n' + body).replace(/\r\n/g, '\n'));
  return { secretKey, zoneFile, messageFile };
}

async function measure(label: string, mode: string, port: number, server: ChildProcess | null, messageFile: string): Promise<Figures> {
  const reused = mode === 'reused';
  const msgs = Number(reused ? args.messages : args['burst-messages']);
  const sessions = Number(reused ? args.connections : args.burst);
  const source = (count: number): string[] => [...(reused ? ['-d'] : []), '-s', String(sessions), '-m', String(count), '-f', SENDER, '-t', RCPT, '-F', messageFile, `127.0.0.1:${port}`];
  // Warm up (JIT, caches, pooled connections) before measuring.
  spawnSync('smtp-source', source(Math.min(500, msgs)), { stdio: 'ignore' });
  const pids = server ? treePids(server.pid!) : [];
  const cpu0 = cpuTicks(pids);
  const probe = await startProbe(port);
  const t0 = performance.now();
  const run = await runAsync('smtp-source', source(msgs));
  const seconds = (performance.now() - t0) / 1000;
  const lat = await probe.stop();
  const cpu1 = cpuTicks(pids);
  const failed = run.status !== 0;
  if (failed) console.error(`${label} ${mode}: smtp-source exited ${run.status}: ${(run.stderr ?? '').slice(0, 300)}`);
  return {
    label, mode, msgs, seconds, rate: msgs / seconds,
    cpuUs: server ? ((cpu1 - cpu0) * (1e6 / 100)) / msgs : null,
    p50: lat.p50, p99: lat.p99, peakMb: server ? peakKb(pids) / 1024 : null, failed,
  };
}

/**
 * One message every 25 ms on its own, already open connection during the load; the time of
 * each transaction (MAIL FROM to the reply after the data).
 */
async function startProbe(port: number): Promise<{ stop(): Promise<{ p50: number; p99: number }> }> {
  const t = nodemailer.createTransport({ pool: true, maxConnections: 1, host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  const times: number[] = [];
  let running = true;
  const raw = `From: <${SENDER}>\r\nTo: ${RCPT}\r\nSubject: probe\r\n\r\n${'x'.repeat(76)}\r\n`;
  // Open the connection (and pay the greeting delay) before measuring.
  await t.sendMail({ envelope: { from: SENDER, to: [RCPT] }, raw: raw.replace('Subject: probe', `Subject: probe\r\nMessage-ID: <${randomUUID()}@sender.example>`) }).catch(() => undefined);
  const loop = (async () => {
    while (running) {
      const s = performance.now();
      try {
        await t.sendMail({ envelope: { from: SENDER, to: [RCPT] }, raw: raw.replace('Subject: probe', `Subject: probe\r\nMessage-ID: <${randomUUID()}@sender.example>`) });
        times.push(performance.now() - s);
      } catch { /* counted by smtp-source's own errors */ }
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      t.close();
      times.sort((a, b) => a - b);
      const q = (p: number): number => times.length ? times[Math.min(times.length - 1, Math.floor(p * times.length))]! : NaN;
      return { p50: q(0.5), p99: q(0.99) };
    },
  };
}

/** Runs a command without blocking this process (the latency probe runs meanwhile). */
function runAsync(cmd: string, argv: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

function treePids(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone */ }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, ppid] of parent) if (ppid === out[i]) out.push(pid);
  return out;
}

function cpuTicks(pids: number[]): number {
  let sum = 0;
  for (const pid of pids) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
      sum += Number(fields[11]) + Number(fields[12]);
    } catch { /* exited */ }
  }
  return sum;
}

function peakKb(pids: number[]): number {
  let sum = 0;
  for (const pid of pids) {
    try {
      sum += Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch { /* exited */ }
  }
  return sum;
}

function ready(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /READY (\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before it was ready`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(t);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
      c.verify().then(() => resolve(true), () => resolve(false)).finally(() => c.close());
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

function report(results: Figures[]): void {
  const f = (n: number | null, d = 0): string => (n === null || Number.isNaN(n) ? '–' : n.toLocaleString('en-GB', { maximumFractionDigits: d, minimumFractionDigits: d }));
  for (const mode of new Set(results.map((r) => r.mode))) {
    const rows = results.filter((r) => r.mode === mode);
    const a = rows.find((r) => r.label.startsWith('(a)'));
    console.log(`\n${mode === 'reused' ? `Reused connections (${args.connections} sessions, -d)` : `One message per connection (${args.burst} concurrent)`}, ~5 KB DKIM-signed message:`);
    console.log('| path | messages | msg/s | CPU µs/msg | p50 / p99 ms | added p50 / p99 ms | peak MB |');
    console.log('|---|---|---|---|---|---|---|');
    for (const r of rows) {
      const added = a && r !== a ? `${f(r.p50 - a.p50, 1)} / ${f(r.p99 - a.p99, 1)}` : '–';
      console.log(`| ${r.label}${r.failed ? ' (smtp-source reported errors)' : ''} | ${r.msgs} | ${f(r.rate)} | ${f(r.cpuUs)} | ${f(r.p50, 1)} / ${f(r.p99, 1)} | ${added} | ${f(r.peakMb)} |`);
    }
    const b = rows.find((r) => r.label.startsWith('(b)'));
    const c = rows.find((r) => r.label.startsWith('(c)'));
    const d = rows.find((r) => r.label.startsWith('(d)'));
    if (b && c) console.log(`(c)/(b) = ${f((100 * c.rate) / b.rate)} %${mode === 'reused' ? ` (target ≥ 40 %); (c) = ${f(c.rate)} msg/s (target ≥ 1,800)` : ''}`);
    if (a && c) console.log(`(c)/(a) = ${f((100 * c.rate) / a.rate)} % of the loopback ceiling`);
    if (c && d && c.cpuUs !== null && d.cpuUs !== null) console.log(`ARC sealing costs ${f(d.cpuUs - c.cpuUs)} µs CPU per message (two RSA-2048 signatures and a second pass over the message); rate ${f((100 * d.rate) / c.rate)} % of (c)`);
  }
}
