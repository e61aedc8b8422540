import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { ManualClock, testConfig } from '../testing/app.js';
import { describeEachDatabase } from '../testing/databases.js';
import { makeAccount, makeOrganisation } from '../testing/factories.js';
import type { Config } from '../config/config.js';
import { openDatabase, type Db } from '../db/db.js';
import { closeMailer } from './mailer.js';
import { dkimResolver, maildir } from './notify.testing.js';
import { LEASE_MS } from './notify.js';
import { enqueueNotification } from './outbox.js';
import { claimDue } from './outbox.repo.js';
import { deliverDueNotifications } from './runner.js';
import { listLocalSms } from './sms.local.js';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function enqueue(db: Db, config: Config, now: Date, to: string, data: Record<string, unknown> = {}): Promise<string> {
  return (await db.transaction().execute((trx) => enqueueNotification(trx, config.secretKey, now, { channel: 'email', template: 'platform/test-message', to, data })))!;
}

async function rowOf(db: Db, id: string) {
  return db.selectFrom('notifications').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

describeEachDatabase('outbox runner', (t) => {
  const fresh = (overrides: Record<string, unknown> = {}): Config => testConfig({ dataDir: mkdtempSync(path.join(tmpdir(), 'pw-notify-')), ...overrides });

  test('a notification committed with its change is sent once, DKIM-signed, and its payload erased', async () => {
    const { db } = t.handle;
    const config = fresh();
    const clock = new ManualClock(new Date('2026-03-01T09:00:00Z'));
    const org = await makeOrganisation(db);
    const to = `sent-once@${org.domain}`;
    const id = await enqueue(db, config, clock.now(), to, { reference: 'R-1' });
    assert.deepEqual(await deliverDueNotifications({ db, config, clock }), { sent: 1, failed: 0, retried: 0, cancelled: 0 });
    assert.deepEqual(await deliverDueNotifications({ db, config, clock }), { sent: 0, failed: 0, retried: 0, cancelled: 0 }, 'nothing is sent twice');
    const msgs = maildir(config, to);
    assert.equal(msgs.length, 1);
    assert.match(msgs[0]!, /^DKIM-Signature: v=1; a=rsa-sha256/);
    assert.match(msgs[0]!, /From: Postwarden <no-reply@postwarden\.test>/);
    assert.match(msgs[0]!, new RegExp(`Message-ID: <${id}@postwarden\\.test>`));
    const v = await dkimVerify(Buffer.from(msgs[0]!), { resolver: dkimResolver(config) });
    assert.equal(v.results[0]?.status.result, 'pass');
    const row = await rowOf(db, id);
    assert.equal(row.status, 'sent');
    assert.equal(row.subject, 'Test message from Postwarden');
    assert.equal(row.payload_enc, null, 'the payload (which may hold a temporary password) is erased once sent');
    assert.equal(row.provider_ref, `<${id}@postwarden.test>`);
    assert.equal(row.sent_at, clock.now().toISOString());
  });

  test('a crash between commit and send: another process sends it once, and a crashed claim is retried after its lease', async () => {
    const config = fresh();
    const clock = new ManualClock(new Date('2026-03-01T09:00:00Z'));
    const to = 'crash@example.test';
    // Process A commits the change with its notification, then dies before sending.
    const a = await openDatabase(t.handle.url);
    const id = await enqueue(a.db, config, clock.now(), to);
    await a.close();
    // Process B claims it and dies between claim and send.
    const b = await openDatabase(t.handle.url);
    const claimed = await claimDue(b.db, 'node-b/crashed', clock.now(), LEASE_MS, 50);
    assert.deepEqual(claimed.map((r) => r.id), [id]);
    await b.close();
    // Process C: the lease still holds, so nothing is sent; once it expires, it is sent once.
    const c = await openDatabase(t.handle.url);
    try {
      assert.equal((await deliverDueNotifications({ db: c.db, config, clock })).sent, 0);
      assert.equal(maildir(config, to).length, 0);
      clock.advance(LEASE_MS + 1000);
      assert.equal((await deliverDueNotifications({ db: c.db, config, clock })).sent, 1);
      assert.equal((await deliverDueNotifications({ db: c.db, config, clock })).sent, 0);
      assert.equal(maildir(config, to).length, 1);
      const row = await rowOf(c.db, id);
      assert.equal(row.status, 'sent');
      assert.equal(row.attempts, 2, 'the crashed claim counts as an attempt');
    } finally {
      await c.close();
    }
  });

  test('a smarthost that is down (connection refused) is retried with backoff, then the message goes through it', async () => {
    const { db } = t.handle;
    const port = await freePort();
    const config = fresh({ smarthostUrl: `smtp://relay-user:relay%20pass@127.0.0.1:${port}`, smarthostRequireTls: false, outboxRetrySeconds: 30 });
    const clock = new ManualClock(new Date('2026-03-01T09:00:00Z'));
    const id = await enqueue(db, config, clock.now(), 'relay@example.test', { reference: 'SECRET-REF-123' });
    assert.deepEqual(await deliverDueNotifications({ db, config, clock }), { sent: 0, failed: 0, retried: 1, cancelled: 0 });
    let row = await rowOf(db, id);
    assert.equal(row.status, 'pending');
    assert.equal(row.attempts, 1);
    assert.match(row.last_error ?? '', /ECONNREFUSED/);
    assert.equal(row.next_attempt_at, new Date(clock.now().getTime() + 30_000).toISOString(), 'first retry after 30 s');
    clock.advance(10_000);
    assert.equal((await deliverDueNotifications({ db, config, clock })).retried, 0, 'not before its time');
    clock.advance(20_000);
    assert.equal((await deliverDueNotifications({ db, config, clock })).retried, 1);
    row = await rowOf(db, id);
    assert.equal(row.next_attempt_at, new Date(clock.now().getTime() + 60_000).toISOString(), 'then after 60 s');

    // The relay comes up (with auth); the next attempt goes through it.
    const received: { from: string; to: string[]; raw: string; user: string }[] = [];
    const server = new SMTPServer({
      secure: false, allowInsecureAuth: true, disabledCommands: ['STARTTLS'], logger: false,
      onAuth(auth, _session, cb) {
        if (auth.username === 'relay-user' && auth.password === 'relay pass') return cb(null, { user: auth.username });
        cb(new Error('bad credentials'));
      },
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString(), user: String(session.user) });
          cb();
        });
      },
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    try {
      clock.advance(60_000);
      assert.equal((await deliverDueNotifications({ db, config, clock })).sent, 1);
      assert.equal(received.length, 1);
      assert.equal(received[0]!.user, 'relay-user');
      assert.equal(received[0]!.from, 'no-reply@postwarden.test');
      assert.deepEqual(received[0]!.to, ['relay@example.test']);
      const v = await dkimVerify(Buffer.from(received[0]!.raw), { resolver: dkimResolver(config) });
      assert.equal(v.results[0]?.status.result, 'pass');
      row = await rowOf(db, id);
      assert.equal(row.status, 'sent');
      assert.equal(row.attempts, 3);
    } finally {
      closeMailer(); // pooled connections would keep the server's close() waiting
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  test('after the last attempt it is failed, with an error that never holds the payload', async () => {
    const { db } = t.handle;
    const port = await freePort();
    const config = fresh({ smarthostUrl: `smtp://127.0.0.1:${port}`, outboxMaxAttempts: 2, outboxRetrySeconds: 1 });
    const clock = new ManualClock(new Date('2026-03-01T09:00:00Z'));
    const id = await enqueue(db, config, clock.now(), 'fails@example.test', { reference: 'Temp-Pass-9931' });
    assert.equal((await deliverDueNotifications({ db, config, clock })).retried, 1);
    clock.advance(1000);
    assert.equal((await deliverDueNotifications({ db, config, clock })).failed, 1);
    const row = await rowOf(db, id);
    assert.equal(row.status, 'failed');
    assert.ok(row.last_error && !row.last_error.includes('Temp-Pass-9931'));
    clock.advance(3_600_000);
    assert.deepEqual(await deliverDueNotifications({ db, config, clock }), { sent: 0, failed: 0, retried: 0, cancelled: 0 }, 'a failed row stays failed');
  });

  test('two runners at once (two connections) never send the same row twice', async () => {
    const config = fresh();
    const clock = new ManualClock(new Date('2026-03-01T09:00:00Z'));
    const to = 'many@example.test';
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await enqueue(t.handle.db, config, clock.now(), to, { reference: `n${i}` }));
    const x = await openDatabase(t.handle.url);
    const y = await openDatabase(t.handle.url);
    try {
      const results = [];
      for (let round = 0; round < 10; round++) {
        const r = await Promise.all([
          deliverDueNotifications({ db: x.db, config, clock }, { limit: 7, workerId: 'x' }),
          deliverDueNotifications({ db: y.db, config, clock }, { limit: 7, workerId: 'y' }),
        ]);
        results.push(...r);
        if (r.every((z) => z.sent === 0)) break;
      }
      assert.equal(results.reduce((n, r) => n + r.sent, 0), 30);
      const msgs = maildir(config, to);
      assert.equal(msgs.length, 30, 'each row delivered exactly once');
      const refs = msgs.map((m) => /reference (n\d+)/.exec(m)?.[1]).sort();
      assert.deepEqual(refs, [...new Set(refs)], 'no duplicates');
      const rows = await t.handle.db.selectFrom('notifications').select(['status', 'attempts']).where('id', 'in', ids).execute();
      assert.ok(rows.every((r) => r.status === 'sent' && Number(r.attempts) === 1));
    } finally {
      await x.close();
      await y.close();
    }
  });

  test('a reminder-style notification is cancelled when the password changed before its turn', async () => {
    const { db } = t.handle;
    const config = fresh();
    const clock = new ManualClock(new Date('2026-03-01T09:00:00Z'));
    const org = await makeOrganisation(db);
    const acct = await makeAccount(db, { organisationId: org.id });
    const { password_changed_at } = await db.selectFrom('accounts').select('password_changed_at').where('id', '=', acct.id).executeTakeFirstOrThrow();
    const mk = () => db.transaction().execute((trx) => enqueueNotification(trx, config.secretKey, clock.now(), {
      channel: 'email', template: 'platform/test-message', to: acct.email, accountId: acct.id, organisationId: org.id, onlyWhilePasswordSetAt: password_changed_at!,
    }));
    await mk();
    assert.equal((await deliverDueNotifications({ db, config, clock })).sent, 1, 'sent while the password is unchanged');
    const id = (await mk())!;
    await db.updateTable('accounts').set({ password_changed_at: clock.now().toISOString() }).where('id', '=', acct.id).execute();
    assert.deepEqual(await deliverDueNotifications({ db, config, clock }), { sent: 0, failed: 0, retried: 0, cancelled: 1 });
    const row = await rowOf(db, id);
    assert.equal(row.status, 'cancelled');
    assert.equal(row.payload_enc, null);
    assert.equal(maildir(config, acct.email).length, 1);
  });

  test('an SMS goes to the local SMS outbox (mode 0600), and a missing template fails at once', async () => {
    const { db } = t.handle;
    const config = fresh();
    const clock = new ManualClock(new Date('2026-03-01T09:00:00Z'));
    await db.transaction().execute((trx) => enqueueNotification(trx, config.secretKey, clock.now(), { channel: 'sms', template: 'platform/test-message', to: '+447400123456', data: { reference: 'S1' } }));
    const bad = (await db.transaction().execute((trx) => enqueueNotification(trx, config.secretKey, clock.now(), { channel: 'sms', template: 'platform/no-such-template', to: '+447400123456' })))!;
    const r = await deliverDueNotifications({ db, config, clock });
    assert.equal(r.sent, 1);
    assert.equal(r.failed, 1);
    const sms = await listLocalSms(config);
    assert.equal(sms.length, 1);
    assert.equal(sms[0]!.to, '+447400123456');
    assert.match(sms[0]!.body, /test text message \(reference S1\)/);
    const dir = path.join(config.dataDir, 'sms-outbox');
    assert.equal(statSync(path.join(dir, readdirSync(dir)[0]!)).mode & 0o777, 0o600);
    assert.equal((await rowOf(db, bad)).status, 'failed');
    assert.match((await rowOf(db, bad)).last_error ?? '', /template platform\/no-such-template/);
  });
});
