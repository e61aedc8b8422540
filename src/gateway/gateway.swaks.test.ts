import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DatabaseHandle } from '../platform/db/db.js';
import { packageRoot } from '../platform/paths.js';
import { TEST_SECRET_KEY } from '../platform/testing/app.js';
import { createTestDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation } from '../platform/testing/factories.js';
import { requirePeer } from '../platform/testing/peers.js';
import { PLATFORM, type TestGateway, startTestGateway } from './gateway.testing.js';

/** The "done when", with a real peer: swaks talks SMTP to the gateway; the CLI reads the quarantine. */


/** Runs a command without blocking the event loop (the gateway under test lives in this process). */
function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

async function swaks(port: number, args: string[]): Promise<{ status: number | null; out: string }> {
  const r = await run('swaks', ['--server', `127.0.0.1:${port}`, '--helo', 'mx.sender.example', '--silent', '1', ...args]);
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('swaks → gateway → Maildir [sqlite]', { skip: requirePeer('swaks', 'the swaks journey') }, () => {
  let h: DatabaseHandle & { url: string; drop(): Promise<void> };
  let g: TestGateway;
  let demo: string;
  before(async () => {
    h = await createTestDatabase('sqlite');
    const org = await makeOrganisation(h.db, { name: 'Demo Trust' });
    demo = (await makeAccount(h.db, { organisationId: org.id, email: `demo.user@${org.domain}` })).email;
    g = await startTestGateway(h.db);
  });
  after(async () => {
    await g?.close();
    await h?.drop();
  });

  test('the first message carries the first-contact tip, the second does not', async () => {
    const first = await swaks(g.port, ['--from', 'alex@partner.example', '--to', demo, '--header', 'Subject: Lunch on Friday?', '--header', 'Message-Id: <swaks-1@partner.example>', '--body', 'Shall we meet at noon?']);
    assert.equal(first.status, 0, first.out);
    const second = await swaks(g.port, ['--from', 'alex@partner.example', '--to', demo, '--header', 'Subject: Re: Lunch on Friday?', '--header', 'Message-Id: <swaks-2@partner.example>', '--body', 'Or at one?']);
    assert.equal(second.status, 0, second.out);
    const box = g.maildir(demo);
    const a = box.find((m) => m.includes('<swaks-1@partner.example>'))!;
    const b = box.find((m) => m.includes('<swaks-2@partner.example>'))!;
    assert.match(a, /^X-Postwarden-Safety-Tip: first-contact/m);
    assert.match(a, /First contact: this is the first email you have received from this sender/);
    assert.doesNotMatch(b, /first-contact|First contact/);
  });

  test('a forged no-reply@ message is quarantined and listed by `postwarden quarantine list --json`', async () => {
    const forged = await swaks(g.port, ['--from', 'support@evil.example', '--to', demo, '--header', `From: "Password reset" <no-reply@${PLATFORM}>`, '--header', 'Subject: Re-validate your account', '--header', 'Message-Id: <swaks-forged@evil.example>', '--body', 'Re-validate your account now: https://evil.example/login']);
    assert.equal(forged.status, 0, forged.out);
    assert.equal(g.maildir(demo).filter((m) => m.includes('swaks-forged')).length, 0);
    const cli = await run(process.execPath, ['--import', 'tsx', path.join(packageRoot, 'src', 'main', 'cli.ts'), 'quarantine', 'list', '--json'], {
      cwd: packageRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATABASE_URL: h.url, POSTWARDEN_SECRET_KEY: TEST_SECRET_KEY, POSTWARDEN_DATA_DIR: g.config.dataDir, POSTWARDEN_LOG_LEVEL: 'silent' },
    });
    assert.equal(cli.status, 0, cli.stderr);
    const items = JSON.parse(cli.stdout) as { messageId: string; reason: string; recipients: string[]; status: string }[];
    const item = items.find((i) => i.messageId === '<swaks-forged@evil.example>');
    assert.ok(item, cli.stdout);
    assert.equal(item.reason, 'spoofed-system-mail');
    assert.equal(item.status, 'held');
    assert.deepEqual(item.recipients, [demo]);
  });
});
