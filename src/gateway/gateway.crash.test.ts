import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import nodemailer from 'nodemailer';
import type { DatabaseHandle } from '../platform/db/db.js';
import { ensureDkimKey } from '../platform/notify/dkim.js';
import { packageRoot } from '../platform/paths.js';
import { TEST_SECRET_KEY, testConfig } from '../platform/testing/app.js';
import { createTestDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation } from '../platform/testing/factories.js';
import { message } from './gateway.testing.js';

/**
 * Reliability: `postwarden serve` (the real CLI, two gateway worker processes) is killed
 * with SIGKILL — the whole process group — in the middle of a load; the client retries
 * what did not get a 250 once it is back. Every message that got a 250 is in the Maildir
 * exactly once, and so is every message in the end (a message delivered just before the
 * kill, whose 250 never left, is recognised on its retry and not stored twice).
 */

const TOTAL = 2500;
const KILL_AFTER = 800;
const SENDERS = 8;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once the port greets with 220 (the gateway is ready). */
async function waitForSmtp(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.setTimeout(2000);
      s.once('data', (d) => { s.destroy(); resolve(d.toString().startsWith('220')); });
      s.once('error', () => resolve(false));
      s.once('timeout', () => { s.destroy(); resolve(false); });
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the gateway did not come up');
}

describe('SIGKILL in the middle of a load [sqlite, real CLI, 2 workers]', () => {
  let h: DatabaseHandle & { url: string; drop(): Promise<void> };
  let rcpt: string;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  let port: number;
  let child: ChildProcess | null = null;
  const serve = (): ChildProcess => spawn(process.execPath, ['--import', 'tsx', path.join(packageRoot, 'src', 'main', 'cli.ts'), 'serve'], {
    cwd: packageRoot, env, detached: true, stdio: ['ignore', 'ignore', 'inherit'],
  });

  before(async () => {
    h = await createTestDatabase('sqlite');
    const org = await makeOrganisation(h.db);
    rcpt = (await makeAccount(h.db, { organisationId: org.id, email: `load@${org.domain}` })).email;
    dir = mkdtempSync(path.join(tmpdir(), 'pw-gw-crash-'));
    ensureDkimKey(testConfig({ dataDir: dir }));
    port = await freePort();
    env = {
      PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATABASE_URL: h.url, POSTWARDEN_DATA_DIR: dir, POSTWARDEN_SECRET_KEY: TEST_SECRET_KEY,
      POSTWARDEN_HTTP_ADDR: '127.0.0.1:0', POSTWARDEN_METRICS_ADDR: '127.0.0.1:0', POSTWARDEN_SMTP_ADDR: `127.0.0.1:${port}`, POSTWARDEN_DNS_RESOLVER: 'none', POSTWARDEN_GATEWAY_WORKERS: '2', POSTWARDEN_LOG_LEVEL: 'error',
    };
  });
  after(async () => {
    if (child?.pid && child.exitCode === null) {
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await h?.drop();
  });

  test('every message that got 250 is at the next hop exactly once', async (t) => {
    const acked = new Set<number>();
    const pending = Array.from({ length: TOTAL }, (_, i) => i);
    const raw = (i: number): string => message({ from: 'bulk@sender.example', to: rcpt, subject: `Load ${i}`, id: `load-${i}@sender.example`, body: `Message ${i}.\r\n${'Lorem ipsum dolor sit amet. '.repeat(40)}\r\n` });
    let killed = false;
    /** Message-ID → copies in the Maildir. */
    const stored = (): Map<string, number> => {
      const box = path.join(dir, 'mail', rcpt, 'new');
      const counts = new Map<string, number>();
      for (const f of existsSync(box) ? readdirSync(box) : []) {
        const id = /^Message-ID: <(load-\d+)@sender\.example>/im.exec(readFileSync(path.join(box, f), 'utf8'))?.[1];
        assert.ok(id, `${f} is one of ours`);
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      return counts;
    };

    // One round: SENDERS connections drain the queue; failures go back for the next round.
    const round = async (): Promise<void> => {
      const failed: number[] = [];
      await Promise.all(Array.from({ length: SENDERS }, async () => {
        const t = nodemailer.createTransport({ pool: true, maxConnections: 1, host: '127.0.0.1', port, secure: false, ignoreTLS: true, connectionTimeout: 5000, socketTimeout: 20_000 });
        for (let i = pending.shift(); i !== undefined; i = pending.shift()) {
          try {
            const info = await t.sendMail({ envelope: { from: 'bulk@sender.example', to: [rcpt] }, raw: raw(i) });
            if (info.response.startsWith('250')) acked.add(i);
            else failed.push(i);
          } catch {
            failed.push(i);
          }
          if (!killed && acked.size >= KILL_AFTER && child?.pid) {
            killed = true;
            // A moment later, so that other messages are caught at every stage of their way.
            const pid = child.pid;
            setTimeout(() => process.kill(-pid, 'SIGKILL'), 7);
          }
        }
        t.close();
      }));
      pending.push(...failed.sort((a, b) => a - b));
    };

    child = serve();
    await waitForSmtp(port, child);
    await round();
    assert.ok(killed, 'the gateway was killed during the load');
    const ackedBeforeKill = new Set(acked);
    assert.ok(pending.length > 0, 'some messages were refused or cut off by the kill');
    await new Promise<void>((resolve) => (child!.exitCode !== null || child!.signalCode !== null ? resolve() : child!.once('exit', () => resolve())));

    const storedUnacked = pending.filter((i) => stored().has(`load-${i}`)).length;
    t.diagnostic(`${ackedBeforeKill.size} acknowledged before the kill; ${pending.length} to retry, of which ${storedUnacked} had already been stored (their 250 never left)`);

    child = serve();
    await waitForSmtp(port, child);
    for (let attempt = 0; attempt < 5 && pending.length; attempt++) await round();
    assert.equal(pending.length, 0, 'the client got every message through in the end');
    const stopped = new Promise((r) => child!.once('exit', r));
    process.kill(-child.pid!, 'SIGTERM');
    await stopped;

    const counts = stored();
    for (const i of ackedBeforeKill) assert.equal(counts.get(`load-${i}`), 1, `load-${i} got 250 before the kill: exactly one copy`);
    for (let i = 0; i < TOTAL; i++) assert.equal(counts.get(`load-${i}`), 1, `load-${i}: exactly one copy`);
  });
});
