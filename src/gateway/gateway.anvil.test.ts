import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DatabaseHandle } from '../platform/db/db.js';
import { ensureDkimKey } from '../platform/notify/dkim.js';
import { packageRoot } from '../platform/paths.js';
import { TEST_SECRET_KEY, testConfig } from '../platform/testing/app.js';
import { createTestDatabase } from '../platform/testing/databases.js';
import { SmtpTestClient } from '../platform/testing/smtpclient.js';

/**
 * The per-client-address limit holds across gateway workers: `postwarden serve` (the real CLI)
 * with two workers, which node:cluster hands connections to in turn, and a limit of 3. Were each
 * worker counting alone, one address could hold 3 per worker (6).
 */

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The first reply line of a new connection (220 or 421), or '' when nothing listens yet. */
async function greeting(port: number, localAddress = '127.0.0.1'): Promise<{ line: string; client: SmtpTestClient }> {
  const client = SmtpTestClient.open(port, localAddress);
  try {
    return { line: await client.reply(/^\d{3} /, 0, 5000), client };
  } catch {
    client.end();
    return { line: '', client };
  }
}

describe('connections per client address across 2 gateway workers [sqlite, real CLI]', () => {
  let h: DatabaseHandle & { url: string; drop(): Promise<void> };
  let child: ChildProcess | null = null;
  let port: number;

  before(async () => {
    h = await createTestDatabase('sqlite');
    const dir = mkdtempSync(path.join(tmpdir(), 'pw-gw-anvil-'));
    ensureDkimKey(testConfig({ dataDir: dir }));
    port = await freePort();
    const env = {
      PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATABASE_URL: h.url, POSTWARDEN_DATA_DIR: dir, POSTWARDEN_SECRET_KEY: TEST_SECRET_KEY,
      POSTWARDEN_HTTP_ADDR: '127.0.0.1:0', POSTWARDEN_SMTP_ADDR: `127.0.0.1:${port}`, POSTWARDEN_DNS_RESOLVER: 'none', POSTWARDEN_GATEWAY_WORKERS: '2', POSTWARDEN_LOG_LEVEL: 'error',
      POSTWARDEN_SMTP_MAX_CONNECTIONS_PER_CLIENT: '3', POSTWARDEN_METRICS_ADDR: '127.0.0.1:0',
    };
    child = spawn(process.execPath, ['--import', 'tsx', path.join(packageRoot, 'src', 'main', 'cli.ts'), 'serve'], {
      cwd: packageRoot, env, detached: true, stdio: ['ignore', 'ignore', 'inherit'],
    });
    for (let i = 0; i < 300; i++) {
      if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}`);
      const { line, client } = await greeting(port);
      client.end();
      if (line.startsWith('220')) break;
      await sleep(200);
    }
  });
  after(async () => {
    if (child?.pid && child.exitCode === null) {
      const stopped = new Promise((r) => child!.once('exit', r));
      process.kill(-child.pid, 'SIGTERM');
      await Promise.race([stopped, sleep(10_000)]);
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await h?.drop();
  });

  test('three connections from one address are greeted, the next ones get 421 4.7.0 whichever worker takes them', async () => {
    // The readiness probes above have closed; wait until the primary has given their slots back.
    let first = await greeting(port);
    for (let i = 0; i < 20 && !first.line.startsWith('220'); i++) {
      first.client.end();
      await sleep(100);
      first = await greeting(port);
    }
    const held = [first.client];
    assert.match(first.line, /^220 /);
    for (let i = 0; i < 2; i++) {
      const g = await greeting(port);
      assert.match(g.line, /^220 /, `connection ${i + 2} of 3`);
      held.push(g.client);
    }
    // Two more, so that both workers have been handed one beyond the limit.
    for (let i = 0; i < 2; i++) {
      const g = await greeting(port);
      assert.equal(g.line, '421 4.7.0 Too many connections from your address, try again later', `connection ${i + 4}`);
      await g.client.hangup();
    }
    const other = await greeting(port, '127.0.0.2');
    assert.match(other.line, /^220 /, 'another address is not held back');

    held.shift()!.end();
    let again = await greeting(port);
    for (let i = 0; i < 20 && !again.line.startsWith('220'); i++) {
      await sleep(100);
      again = await greeting(port);
    }
    assert.match(again.line, /^220 /, 'a closed connection gives its slot back');
    held.push(again.client);
    const next = await greeting(port);
    assert.match(next.line, /^421 4\.7\.0/);
    for (const c of [...held, other.client, next.client]) c.end();
  });
});
