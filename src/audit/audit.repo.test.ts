import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { cliContext } from '../platform/context.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { recordAudit, verifyAuditTrail } from './audit.commands.js';

describeEachDatabase('audit trail', (t) => {
  test('an untouched chain verifies; an edited, deleted or reordered event is named', async () => {
    const { db } = t.handle;
    const ctx = cliContext(new Date('2026-01-01T00:00:00Z'));
    for (let i = 0; i < 7; i++) {
      await db.transaction().execute((trx) => recordAudit(trx, ctx, { action: 'test.event', target: `n:${i}`, details: { i } }));
    }
    const clean = await verifyAuditTrail(db);
    assert.equal(clean.ok, true);
    assert.equal(clean.checked, 7);

    await sql`update audit_events set target = 'n:evil' where seq = 4`.execute(db);
    const edited = await verifyAuditTrail(db);
    assert.equal(edited.ok, false);
    assert.equal(edited.broken?.seq, 4);
    assert.match(edited.broken!.reason, /edited/);
    await sql`update audit_events set target = 'n:3' where seq = 4`.execute(db);
    assert.equal((await verifyAuditTrail(db)).ok, true);

    const row = await db.selectFrom('audit_events').selectAll().where('seq', '=', 3).executeTakeFirstOrThrow();
    await sql`delete from audit_events where seq = 3`.execute(db);
    const deleted = await verifyAuditTrail(db);
    assert.equal(deleted.broken?.seq, 3);
    assert.match(deleted.broken!.reason, /missing/);
    await db.insertInto('audit_events').values(row).execute(); // leave the chain whole for the next test
    assert.equal((await verifyAuditTrail(db)).ok, true);
  });

  test('concurrent writers keep one linear chain', async () => {
    const { db } = t.handle;
    const ctx = cliContext(new Date());
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => db.transaction().execute((trx) => recordAudit(trx, ctx, { action: 'test.concurrent', details: { i } }))),
    );
    const r = await verifyAuditTrail(db);
    assert.equal(r.ok, true, r.broken?.reason);
  });

  test('removing the newest event is detected through the head', async () => {
    const { db } = t.handle;
    const ctx = cliContext(new Date());
    await db.transaction().execute((trx) => recordAudit(trx, ctx, { action: 'test.last' }));
    const before = await verifyAuditTrail(db);
    assert.equal(before.ok, true);
    await sql`delete from audit_events where seq = ${before.head.seq}`.execute(db);
    const after = await verifyAuditTrail(db);
    assert.equal(after.ok, false);
    assert.equal(after.broken?.seq, before.head.seq);
  });
});
