import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import { cliContext } from '../platform/context.js';
import { Conflict, Forbidden, NotFound } from '../platform/errors/errors.js';
import { newId } from '../platform/ids.js';
import { openNextHop } from '../platform/smtp/nexthop.js';
import { testConfig } from '../platform/testing/app.js';
import { describeEachDatabase, withOwnDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation, testCtx } from '../platform/testing/factories.js';
import { deleteQuarantine, getQuarantineFor, listQuarantineFor, purgeGatewayData, releaseQuarantine } from './gateway.commands.js';
import { insertQuarantine } from './gateway.repo.js';
import { readMaildir } from './gateway.testing.js';
import { openLedger } from './ledger.js';
import type { Actor } from '../platform/context.js';

describeEachDatabase('gateway quarantine and ledger', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pw-gw-cmd-'));
  const config = testConfig({ dataDir: dir });
  const hop = openNextHop({ maildirRoot: path.join(dir, 'mail'), poolSize: 1, timeoutMs: 5000, hostname: 'gw.test' });
  let csoc: Actor;
  let la: Actor;
  let lee: string;
  const hold = async (over: Partial<Parameters<typeof insertQuarantine>[1]> = {}, db = t.handle.db): Promise<string> => insertQuarantine(db, {
    id: newId(), messageKey: newId(), receivedAt: new Date().toISOString(), reason: 'spoofed-system-mail', ruleId: null, detail: 'not signed',
    mailFrom: 'x@evil.example', headerFrom: 'no-reply@postwarden.test', recipients: [lee], subject: 'Your password', messageId: '<q@x>', size: 40,
    remoteAddress: '192.0.2.1', smtpSessionId: 'sess', raw: Buffer.from(`From: no-reply@postwarden.test\r\nTo: ${lee}\r\nSubject: Your password\r\n\r\nbody text\r\n`), ...over,
  });

  before(async () => {
    const org = await makeOrganisation(t.handle.db);
    lee = (await makeAccount(t.handle.db, { organisationId: org.id, email: `lee@${org.domain}` })).email;
    const c = await makeAccount(t.handle.db, { organisationId: org.id, roles: ['user', 'csoc'] });
    const l = await makeAccount(t.handle.db, { organisationId: org.id, roles: ['user', 'local-admin'] });
    csoc = { accountId: c.id, email: c.email, organisationId: org.id, roles: [{ role: 'csoc', scope: '*' }] };
    la = { accountId: l.id, email: l.email, organisationId: org.id, roles: [{ role: 'local-admin', scope: org.id }] };
  });

  test('holding the same message twice keeps one row', async () => {
    const key = newId();
    const a = await hold({ messageKey: key });
    const b = await hold({ messageKey: key, id: newId() });
    assert.equal(a, b);
  });

  test('only the CSOC, platform admins and the CLI see the quarantine; the header is shown, never the body', async () => {
    const id = await hold();
    await assert.rejects(listQuarantineFor(t.handle.db, testCtx(la), { status: 'held', limit: 10 }), Forbidden);
    await assert.rejects(getQuarantineFor(t.handle.db, testCtx(la), id), Forbidden);
    const list = await listQuarantineFor(t.handle.db, testCtx(csoc), { status: 'held', limit: 500 });
    assert.ok(list.some((i) => i.id === id));
    const item = await getQuarantineFor(t.handle.db, cliContext(new Date()), id);
    assert.match(item.header!, /Subject: Your password/);
    assert.doesNotMatch(item.header!, /body text/);
    await assert.rejects(getQuarantineFor(t.handle.db, testCtx(csoc), newId()), NotFound);
  });

  test('paging is newest first and never repeats or skips', async () => {
    // Its own database: the quarantine is one list for the whole platform.
    await withOwnDatabase(t.dialect, async ({ db }) => {
      const base = Date.parse('2030-01-01T00:00:00Z');
      for (let i = 0; i < 5; i++) await hold({ receivedAt: new Date(base + i * 1000).toISOString(), reason: 'blocked', ruleId: `r${i}` }, db);
      const first = await listQuarantineFor(db, testCtx(csoc), { status: 'held', limit: 3 });
      const last = first[first.length - 1]!;
      const next = await listQuarantineFor(db, testCtx(csoc), { status: 'held', limit: 3, before: { receivedAt: last.receivedAt, id: last.id } });
      assert.deepEqual(first.map((i) => i.ruleId), ['r4', 'r3', 'r2']);
      assert.deepEqual(next.map((i) => i.ruleId), ['r1', 'r0']);
    });
  });

  test('release delivers to the held recipients once and is audited; delete drops the message and is audited', async () => {
    const id = await hold({ subject: 'release me' });
    const released = await releaseQuarantine(t.handle.db, config, testCtx(csoc), id, hop);
    assert.equal(released.status, 'released');
    assert.equal(released.decidedBy, csoc.accountId);
    assert.equal(readMaildir(path.join(dir, 'mail'), lee).filter((m) => m.includes('Subject: Your password')).length, 1);
    await assert.rejects(releaseQuarantine(t.handle.db, config, testCtx(csoc), id, hop), Conflict);
    await assert.rejects(releaseQuarantine(t.handle.db, config, testCtx(la), id, hop), Forbidden);
    const gone = await hold();
    await deleteQuarantine(t.handle.db, testCtx(csoc), gone);
    const row = await t.handle.db.selectFrom('gateway_quarantine').select(['status', 'raw_b64']).where('id', '=', gone).executeTakeFirstOrThrow();
    assert.deepEqual(row, { status: 'deleted', raw_b64: null });
    const audit = await t.handle.db.selectFrom('audit_events').select(['action', 'target', 'actor_id']).where('target', 'in', [id, gone]).orderBy('seq').execute();
    assert.deepEqual(audit.map((a) => a.action), ['gateway.quarantine.release', 'gateway.quarantine.delete']);
    assert.ok(audit.every((a) => a.actor_id === csoc.accountId));
  });

  test('the redelivery ledger is shared through the database; old rows are purged', async () => {
    // Its own database: the purge is over whole tables, and is counted exactly.
    await withOwnDatabase(t.dialect, async ({ db }) => {
      const one = await openLedger(db, { retentionHours: 72, pollMs: 60_000 });
      await one.remember(['a'.repeat(40)], new Date());
      const other = await openLedger(db, { retentionHours: 72, pollMs: 60_000 });
      assert.equal(other.has('a'.repeat(40)), true, 'another node knows it');
      assert.equal(other.has('b'.repeat(40)), false);
      one.close();
      other.close();
      await hold({}, db);
      assert.deepEqual(await purgeGatewayData(db, config, new Date()), { quarantine: 0, redelivery: 0 }, 'nothing is old yet');
      assert.deepEqual(await purgeGatewayData(db, config, new Date(Date.now() + 100 * 86_400_000)), { quarantine: 1, redelivery: 1 });
    });
  });
});
