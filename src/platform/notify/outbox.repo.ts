import type { ExpressionBuilder, Selectable } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Db } from '../db/db.js';
import type { NotificationTable } from './notify.tables.js';

/** The only SQL of the outbox. */

export type NotificationRow = Selectable<NotificationTable>;

/** Inserts an outbox row; with a dedupe key that already exists, inserts nothing. */
export async function insertNotification(trx: Db, row: NotificationTable): Promise<boolean> {
  const r = await trx.insertInto('notifications').values(row).onConflict((oc) => oc.column('dedupe_key').doNothing()).executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** Inserts many rows (chunks of 500); those whose dedupe key exists are skipped. Returns the ids inserted. */
export async function insertNotifications(trx: Db, rows: NotificationTable[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < rows.length; i += 500) {
    const r = await trx.insertInto('notifications').values(rows.slice(i, i + 500)).onConflict((oc) => oc.column('dedupe_key').doNothing()).returning('id').execute();
    ids.push(...r.map((x) => x.id));
  }
  return ids;
}

/** Due: pending and its time has come, or claimed by a node whose lease ran out. */
function isDue(at: string) {
  return (eb: ExpressionBuilder<Database, 'notifications'>) =>
    eb.or([
      eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', at)]),
      eb.and([eb('status', '=', 'sending'), eb('locked_until', '<=', at)]),
    ]);
}

/**
 * Atomically claims up to `limit` due rows for `claimId`: pending rows whose time has come,
 * and rows whose previous claimer's lease ran out (it crashed between claim and send). One
 * UPDATE whose WHERE re-checks the due condition: SQLite runs it alone; on PostgreSQL a
 * concurrent claimer blocks on the row, re-evaluates the WHERE, and skips a row already
 * taken. So two nodes never hold the same row. Each claim counts as an attempt.
 */
export async function claimDue(db: Db, claimId: string, now: Date, leaseMs: number, limit: number): Promise<NotificationRow[]> {
  const at = now.toISOString();
  const candidates = db.selectFrom('notifications').select('id').where(isDue(at)).orderBy('next_attempt_at').limit(limit);
  return db.updateTable('notifications')
    .set((eb) => ({ status: 'sending' as const, locked_by: claimId, locked_until: new Date(now.getTime() + leaseMs).toISOString(), attempts: eb('attempts', '+', 1) }))
    .where('id', 'in', candidates)
    .where(isDue(at))
    .returningAll().execute();
}

/** Marks a claimed row sent and erases its payload. False when the claim was lost (lease expired and taken over). */
export async function markSent(db: Db, id: string, claimId: string, r: { at: string; subject: string; providerRef: string }): Promise<boolean> {
  const u = await db.updateTable('notifications')
    .set({ status: 'sent', sent_at: r.at, subject: r.subject, provider_ref: r.providerRef, payload_enc: null, locked_by: null, locked_until: null, last_error: null })
    .where('id', '=', id).where('locked_by', '=', claimId).executeTakeFirst();
  return Number(u.numUpdatedRows) > 0;
}

/** Records a failed attempt: back to pending at `nextAttemptAt`, or failed for good. */
export async function markAttemptFailed(
  db: Db, id: string, claimId: string, r: { status: 'pending' | 'failed'; nextAttemptAt: string; error: string; subject: string | null },
): Promise<void> {
  await db.updateTable('notifications')
    .set({ status: r.status, next_attempt_at: r.nextAttemptAt, last_error: r.error, locked_by: null, locked_until: null, ...(r.subject ? { subject: r.subject } : {}) })
    .where('id', '=', id).where('locked_by', '=', claimId).execute();
}

/** Cancels a claimed row that is no longer wanted, erasing its payload. */
export async function markCancelled(db: Db, id: string, claimId: string, reason: string): Promise<void> {
  await db.updateTable('notifications')
    .set({ status: 'cancelled', last_error: reason, payload_enc: null, locked_by: null, locked_until: null })
    .where('id', '=', id).where('locked_by', '=', claimId).execute();
}

/** What the send guard compares: the account as it is now. */
export async function accountForGuard(db: Db, accountId: string): Promise<{ status: string; email: string; password_changed_at: string | null } | undefined> {
  return db.selectFrom('accounts').select(['status', 'email', 'password_changed_at']).where('id', '=', accountId).executeTakeFirst();
}

/** Puts a failed row back in the queue (attempts reset). False unless it was failed. */
export async function requeueFailed(trx: Db, id: string, now: string): Promise<boolean> {
  const u = await trx.updateTable('notifications')
    .set({ status: 'pending', attempts: 0, next_attempt_at: now, last_error: null })
    .where('id', '=', id).where('status', '=', 'failed').where('payload_enc', 'is not', null).executeTakeFirst();
  return Number(u.numUpdatedRows) > 0;
}

export async function findNotification(db: Db, id: string): Promise<NotificationRow | undefined> {
  return db.selectFrom('notifications').selectAll().where('id', '=', id).executeTakeFirst();
}
