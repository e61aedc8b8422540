import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { cliContext } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { describeEachDatabase, withOwnDatabase } from '../platform/testing/databases.js';
import { recordAudit, verifyAuditTrail } from './audit.commands.js';
import { hashEvent, type AuditRecord } from './audit.js';

/** Each test has a trail of its own (the chain is one per database). */
describeEachDatabase('audit trail', (t) => {
  async function trail(db: Db, n: number): Promise<void> {
    const ctx = cliContext(new Date('2026-01-01T00:00:00Z'));
    for (let i = 0; i < n; i++) {
      await db.transaction().execute((trx) => recordAudit(trx, ctx, { action: 'test.event', target: `n:${i}`, details: { i } }));
    }
  }

  /** Rewrites an event's target and recomputes its own hash, as a forger with database access would. */
  async function forgeAndRehash(db: Db, seq: number, target: string): Promise<void> {
    const r = await db.selectFrom('audit_events').selectAll().where('seq', '=', seq).executeTakeFirstOrThrow();
    const record: AuditRecord = {
      seq: Number(r.seq), at: r.at, actorId: r.actor_id, actorEmail: r.actor_email, actorRole: r.actor_role, organisationId: r.organisation_id,
      action: r.action, target, ip: r.ip, requestId: r.request_id, outcome: r.outcome as AuditRecord['outcome'], details: r.details,
    };
    await db.updateTable('audit_events').set({ target, hash: hashEvent(r.prev_hash, record) }).where('seq', '=', seq).execute();
  }

  test('an untouched chain verifies; an edited event is named, and so is a deleted one', async () => {
    await withOwnDatabase(t.dialect, async ({ db }) => {
      await trail(db, 7);
      const clean = await verifyAuditTrail(db);
      assert.deepEqual([clean.ok, clean.checked, clean.broken, clean.head.seq], [true, 7, null, 7]);

      await sql`update audit_events set target = 'n:evil' where seq = 4`.execute(db);
      const edited = await verifyAuditTrail(db);
      assert.equal(edited.ok, false);
      assert.equal(edited.broken?.seq, 4);
      assert.match(edited.broken!.reason, /edited/);
      await sql`update audit_events set target = 'n:3' where seq = 4`.execute(db);
      assert.equal((await verifyAuditTrail(db)).ok, true);

      await sql`delete from audit_events where seq = 3`.execute(db);
      const deleted = await verifyAuditTrail(db);
      assert.equal(deleted.broken?.seq, 3);
      assert.match(deleted.broken!.reason, /missing/);
    });
  });

  test('an event edited and rehashed (its own hash made to match) is caught by the link from the next event', async () => {
    await withOwnDatabase(t.dialect, async ({ db }) => {
      await trail(db, 7);
      await forgeAndRehash(db, 4, 'n:evil');
      const forged = await verifyAuditTrail(db);
      assert.equal(forged.ok, false);
      assert.equal(forged.checked, 4, 'events 1–4 are each consistent in themselves');
      assert.deepEqual(forged.broken, { seq: 5, reason: 'event 5 does not link to event 4 (deleted, reordered or edited before it)' });
    });
  });

  test('the newest event edited and rehashed is caught by the head', async () => {
    await withOwnDatabase(t.dialect, async ({ db }) => {
      await trail(db, 3);
      await forgeAndRehash(db, 3, 'n:evil');
      const forged = await verifyAuditTrail(db);
      assert.equal(forged.ok, false);
      assert.equal(forged.broken?.seq, 3);
      assert.match(forged.broken!.reason, /chain head \(event 3\) does not match/);
    });
  });

  test('concurrent writers keep one linear chain', async () => {
    await withOwnDatabase(t.dialect, async ({ db }) => {
      const ctx = cliContext(new Date());
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => db.transaction().execute((trx) => recordAudit(trx, ctx, { action: 'test.concurrent', details: { i } }))),
      );
      const r = await verifyAuditTrail(db);
      assert.equal(r.ok, true, r.broken?.reason);
      assert.equal(r.checked, 20);
    });
  });

  test('removing the newest event is detected through the head', async () => {
    await withOwnDatabase(t.dialect, async ({ db }) => {
      await trail(db, 3);
      await sql`delete from audit_events where seq = 3`.execute(db);
      const after = await verifyAuditTrail(db);
      assert.equal(after.ok, false);
      assert.deepEqual(after.broken, { seq: 3, reason: 'events 3–3 are missing from the end of the trail' });
    });
  });
});
