import { sql } from 'kysely';
import type { Db } from '../platform/db/db.js';
import type { OrgScope } from '../directory/directory.policy.js';
import { type AuditRecord, type ChainedRecord, hashEvent } from './audit.js';
import { startsWithText } from '../platform/db/like.js';

/**
 * Appends one event to the chain. Must run inside the transaction of the change it
 * records: the UPDATE … RETURNING on the single head row takes a row lock on PostgreSQL
 * (SQLite serialises writers anyway), so concurrent writers on any node queue here and
 * the chain stays linear.
 */
export async function appendEvent(trx: Db, e: Omit<AuditRecord, 'seq'>): Promise<ChainedRecord> {
  const head = await trx
    .updateTable('audit_head')
    .set({ seq: sql`seq + 1` })
    .where('id', '=', 1)
    .returning(['seq', 'hash'])
    .executeTakeFirstOrThrow();
  const record: AuditRecord = { ...e, seq: Number(head.seq) };
  const hash = hashEvent(head.hash, record);
  await trx
    .insertInto('audit_events')
    .values({
      seq: record.seq,
      at: record.at,
      actor_id: record.actorId,
      actor_email: record.actorEmail,
      actor_role: record.actorRole,
      organisation_id: record.organisationId,
      action: record.action,
      target: record.target,
      ip: record.ip,
      request_id: record.requestId,
      outcome: record.outcome,
      details: record.details,
      prev_hash: head.hash,
      hash,
    })
    .execute();
  await trx.updateTable('audit_head').set({ hash }).where('id', '=', 1).execute();
  return { ...record, prevHash: head.hash, hash };
}

type Row = {
  seq: number; at: string; actor_id: string | null; actor_email: string | null; actor_role: string | null;
  organisation_id: string | null; action: string; target: string | null; ip: string | null; request_id: string | null;
  outcome: 'success' | 'failure' | 'denied'; details: string; prev_hash: string; hash: string;
};

function toRecord(r: Row): ChainedRecord {
  return {
    seq: Number(r.seq), at: r.at, actorId: r.actor_id, actorEmail: r.actor_email, actorRole: r.actor_role,
    organisationId: r.organisation_id, action: r.action, target: r.target, ip: r.ip, requestId: r.request_id,
    outcome: r.outcome, details: r.details, prevHash: r.prev_hash, hash: r.hash,
  };
}

/** Events with seq > afterSeq in order, a page at a time (for verification of the whole chain). */
export async function readChainPage(db: Db, afterSeq: number, limit: number): Promise<ChainedRecord[]> {
  const rows = await db.selectFrom('audit_events').selectAll().where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
  return rows.map(toRecord);
}

export async function readHead(db: Db): Promise<{ seq: number; hash: string }> {
  const h = await db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirstOrThrow();
  return { seq: Number(h.seq), hash: h.hash };
}

export interface AuditQuery {
  beforeSeq?: number;
  action?: string;
  limit: number;
}

/** Newest events first within the actor's organisation scope. */
export async function listEvents(db: Db, scope: OrgScope, q: AuditQuery): Promise<ChainedRecord[]> {
  let query = db.selectFrom('audit_events').selectAll();
  if (!scope.all) {
    if (scope.organisationIds.length === 0) return [];
    query = query.where('organisation_id', 'in', scope.organisationIds);
  }
  if (q.beforeSeq !== undefined) query = query.where('seq', '<', q.beforeSeq);
  if (q.action) query = query.where((eb) => startsWithText(eb.ref('action'), q.action!));
  const rows = await query.orderBy('seq', 'desc').limit(q.limit).execute();
  return rows.map(toRecord);
}
