import type { Selectable } from 'kysely';
import type { Db } from '../platform/db/db.js';
import type { HeldMessage } from './gateway.js';
import type { GatewayQuarantineTable } from './gateway.tables.js';

/**
 * The only SQL of the gateway. The gateway acts for the whole platform (it must know
 * every mailbox), so its directory lookups are unscoped; the quarantine is a
 * platform-wide list that only platform roles reach (gateway.policy.ts).
 */

/** The account of a local address, or undefined. Unscoped: for the SMTP gateway only. */
export async function findMailbox(db: Db, email: string): Promise<{ id: string; organisationId: string } | undefined> {
  const row = await db.selectFrom('accounts').select(['id', 'organisation_id']).where('email', '=', email).executeTakeFirst();
  return row ? { id: row.id, organisationId: row.organisation_id } : undefined;
}

/** Whether a domain is one of an organisation's mail domains. */
export async function isOrganisationDomain(db: Db, domain: string): Promise<boolean> {
  const row = await db.selectFrom('organisation_domains').select('domain').where('domain', '=', domain).executeTakeFirst();
  return row !== undefined;
}

/** A message to hold: what the quarantine shows, its identity across retries, and its bytes. */
export interface QuarantineInsert extends HeldMessage {
  messageKey: string;
  raw: Buffer;
}

/** Holds a message; a second attempt of the same message (same key) keeps the first. Returns the held row's id. */
export async function insertQuarantine(db: Db, q: QuarantineInsert): Promise<string> {
  await db
    .insertInto('gateway_quarantine')
    .values({
      id: q.id, message_key: q.messageKey, received_at: q.receivedAt, reason: q.reason, rule_id: q.ruleId, detail: q.detail,
      mail_from: q.mailFrom, header_from: q.headerFrom, recipients: JSON.stringify(q.recipients), subject: q.subject,
      message_id: q.messageId, size: q.size, remote_address: q.remoteAddress, smtp_session_id: q.smtpSessionId,
      raw_b64: q.raw.toString('base64'), status: 'held', decided_at: null, decided_by: null,
    })
    .onConflict((oc) => oc.column('message_key').doNothing())
    .execute();
  const row = await db.selectFrom('gateway_quarantine').select('id').where('message_key', '=', q.messageKey).executeTakeFirstOrThrow();
  return row.id;
}

export type QuarantineRow = Omit<Selectable<GatewayQuarantineTable>, 'raw_b64' | 'message_key'>;

const LIST_COLUMNS = [
  'id', 'received_at', 'reason', 'rule_id', 'detail', 'mail_from', 'header_from', 'recipients', 'subject', 'message_id', 'size',
  'remote_address', 'smtp_session_id', 'status', 'decided_at', 'decided_by',
] as const;

/** Newest first; keyset paging on (received_at, id). */
export async function listQuarantine(db: Db, q: { status?: GatewayQuarantineTable['status']; before?: { receivedAt: string; id: string }; limit: number }): Promise<QuarantineRow[]> {
  let query = db.selectFrom('gateway_quarantine').select(LIST_COLUMNS);
  if (q.status) query = query.where('status', '=', q.status);
  if (q.before) {
    const b = q.before;
    query = query.where((eb) => eb.or([eb('received_at', '<', b.receivedAt), eb.and([eb('received_at', '=', b.receivedAt), eb('id', '<', b.id)])]));
  }
  return query.orderBy('received_at', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
}

export async function countHeld(db: Db): Promise<number> {
  const r = await db.selectFrom('gateway_quarantine').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'held').executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function findQuarantine(db: Db, id: string): Promise<(QuarantineRow & { raw_b64: string | null }) | undefined> {
  return db.selectFrom('gateway_quarantine').select([...LIST_COLUMNS, 'raw_b64']).where('id', '=', id).executeTakeFirst();
}

/**
 * Moves a held message to `status` (only from 'held', so two analysts cannot both act).
 * Deleting drops the message itself; the row stays as the record of what was held.
 * @returns whether this call made the change
 */
export async function decideQuarantine(trx: Db, id: string, d: { status: 'released' | 'deleted'; at: string; by: string }): Promise<boolean> {
  const r = await trx
    .updateTable('gateway_quarantine')
    .set({ status: d.status, decided_at: d.at, decided_by: d.by, ...(d.status === 'deleted' ? { raw_b64: null } : {}) })
    .where('id', '=', id)
    .where('status', '=', 'held')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Removes the messages held before `before` (rows and contents). Returns how many. */
export async function purgeQuarantineBefore(db: Db, before: string): Promise<number> {
  const r = await db.deleteFrom('gateway_quarantine').where('received_at', '<', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Remembers served (message, recipient) keys. Idempotent. */
export async function insertRedelivery(db: Db, keys: readonly string[], at: string): Promise<void> {
  if (!keys.length) return;
  await db.insertInto('gateway_redelivery').values(keys.map((key) => ({ key, created_at: at }))).onConflict((oc) => oc.column('key').doNothing()).execute();
}

/** Keys remembered since `since` (inclusive), oldest first. */
export async function redeliverySince(db: Db, since: string, limit = 10_000): Promise<{ key: string; created_at: string }[]> {
  return db.selectFrom('gateway_redelivery').select(['key', 'created_at']).where('created_at', '>=', since).orderBy('created_at').limit(limit).execute();
}

export async function purgeRedeliveryBefore(db: Db, before: string): Promise<number> {
  const r = await db.deleteFrom('gateway_redelivery').where('created_at', '<', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}
