import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { openNextHop } from './nexthop.js';

/** The pooled next hop against a real smtp-server (SMTP and LMTP), including refusals and dropped connections. */

function server(lmtp: boolean, seen: string[]): Promise<{ port: number; server: SMTPServer }> {
  const s = new SMTPServer({
    lmtp, authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false, disableReverseLookup: true,
    onRcptTo(a, _s, cb) {
      if (a.address.startsWith('refused')) return cb(Object.assign(new Error('5.1.1 no such user'), { responseCode: 550 }));
      if (a.address.startsWith('later')) return cb(Object.assign(new Error('4.2.1 try later'), { responseCode: 451 }));
      cb();
    },
    onData(stream, session, cb) {
      stream.resume();
      stream.on('end', () => {
        seen.push(...session.envelope.rcptTo.map((r) => r.address));
        if (!lmtp) return cb();
        // LMTP: one reply per recipient; "full@" is over quota.
        cb(null, session.envelope.rcptTo.map((r) => (r.address.startsWith('full') ? Object.assign(new Error('4.2.2 mailbox full'), { responseCode: 452 }) : 'ok')) as never);
      });
    },
  });
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve({ port: (s.server.address() as AddressInfo).port, server: s })));
}

const job = (to: string[], n = 0) => ({ mailFrom: 'a@x.example', recipients: to, raw: Buffer.from(`Subject: ${n}\r\n\r\n.dot line\r\nbody\r\n`), keys: to.map(() => 'ab'.repeat(20)) });

describe('pooled next hop', () => {
  const seen: string[] = [];
  const lmtpSeen: string[] = [];
  let smtp: { port: number; server: SMTPServer };
  let lmtp: { port: number; server: SMTPServer };
  before(async () => {
    smtp = await server(false, seen);
    lmtp = await server(true, lmtpSeen);
  });
  after(async () => {
    await new Promise<void>((r) => smtp.server.close(() => r()));
    await new Promise<void>((r) => lmtp.server.close(() => r()));
  });

  test('SMTP: per-recipient refusals, a message nobody takes, then the same connection carries on', async () => {
    const hop = openNextHop({ relay: `smtp://127.0.0.1:${smtp.port}`, maildirRoot: '/nonexistent', poolSize: 1, timeoutMs: 5000, hostname: 'gw.test' });
    const mixed = await hop.deliver(job(['ok@x.example', 'refused@x.example', 'later@x.example']));
    assert.deepEqual(mixed.map((o) => [o.ok, o.temporary, o.code]), [[true, false, 250], [false, false, 550], [false, true, 451]]);
    const none = await hop.deliver(job(['refused@x.example']));
    assert.deepEqual(none.map((o) => [o.ok, o.code]), [[false, 550]]);
    const again = await hop.deliver(job(['ok2@x.example']));
    assert.equal(again[0]!.ok, true);
    assert.deepEqual(seen, ['ok@x.example', 'ok2@x.example']);
    await hop.close();
  });

  test('a connection the server dropped while idle is replaced', async () => {
    const hop = openNextHop({ relay: `smtp://127.0.0.1:${smtp.port}`, maildirRoot: '/nonexistent', poolSize: 1, timeoutMs: 5000, hostname: 'gw.test' });
    assert.equal((await hop.deliver(job(['one@x.example'])))[0]!.ok, true);
    for (const c of (smtp.server as unknown as { connections: Set<{ close(): void }> }).connections) c.close();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await hop.deliver(job(['two@x.example'])))[0]!.ok, true);
    await hop.close();
  });

  test('LMTP: one outcome per recipient after DATA', async () => {
    const hop = openNextHop({ relay: `lmtp://127.0.0.1:${lmtp.port}`, maildirRoot: '/nonexistent', poolSize: 2, timeoutMs: 5000, hostname: 'gw.test' });
    const out = await hop.deliver(job(['a@x.example', 'full@x.example', 'refused@x.example']));
    assert.deepEqual(out.map((o) => [o.recipient, o.ok, o.temporary]), [['a@x.example', true, false], ['full@x.example', false, true], ['refused@x.example', false, false]]);
    await hop.close();
  });

  test('nothing listening: every recipient fails temporarily', async () => {
    const hop = openNextHop({ relay: 'smtp://127.0.0.1:1', maildirRoot: '/nonexistent', poolSize: 1, timeoutMs: 2000, hostname: 'gw.test' });
    const out = await hop.deliver(job(['a@x.example', 'b@x.example']));
    assert.deepEqual(out.map((o) => [o.ok, o.temporary, o.code]), [[false, true, 451], [false, true, 451]]);
    await hop.close();
  });
});
