import type { ExpressionBuilder, ExpressionWrapper, Insertable, Selectable, SqlBool } from 'kysely';
import type { Db } from '../platform/db/db.js';
import type { Database } from '../platform/db/schema.js';
import type { ActiveRule } from './blocklist.js';
import type { BlockKind } from './reports.js';
import type { BlockRuleTable } from './reports.tables.js';

/** SQL of block rules and their version counter. Handle first. */

export type BlockRuleRow = Selectable<BlockRuleTable>;

/**
 * `ruleInForce` (blocks.ts) as a WHERE condition: not lifted, and not expired at `now`.
 * ISO instants compare as text in both databases, as they do in the pure rule.
 */
export function inForceAt(now: string) {
  return (eb: ExpressionBuilder<Database, 'block_rules'>): ExpressionWrapper<Database, 'block_rules', SqlBool> =>
    eb.and([eb('lifted_at', 'is', null), eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)])]);
}

/** Rules in force at `now`. */
export async function activeBlockRules(db: Db, now: string): Promise<ActiveRule[]> {
  const rows = await db.selectFrom('block_rules').select(['id', 'kind', 'value', 'expires_at', 'lifted_at'])
    .where(inForceAt(now)).orderBy('created_at').execute();
  return rows.map((r) => ({ id: r.id, kind: r.kind, value: r.value, expiresAt: r.expires_at, liftedAt: r.lifted_at }));
}

/** The change counter every gateway process polls. */
export async function blockRulesVersion(db: Db): Promise<number> {
  const r = await db.selectFrom('block_rules_version').select('version').where('id', '=', 1).executeTakeFirst();
  return Number(r?.version ?? 0);
}

async function bumpVersion(trx: Db): Promise<void> {
  await trx.updateTable('block_rules_version').set((eb) => ({ version: eb('version', '+', 1) })).where('id', '=', 1).execute();
}

export async function insertBlockRule(trx: Db, row: Insertable<BlockRuleTable>): Promise<void> {
  await trx.insertInto('block_rules').values(row).execute();
  await bumpVersion(trx);
}

/** Lifts a rule still in force; false when it was already lifted. */
export async function liftBlockRule(trx: Db, id: string, now: string, byEmail: string): Promise<boolean> {
  const r = await trx.updateTable('block_rules').set({ lifted_at: now, lifted_by_email: byEmail })
    .where('id', '=', id).where('lifted_at', 'is', null).executeTakeFirst();
  const changed = Number(r.numUpdatedRows) > 0;
  if (changed) await bumpVersion(trx);
  return changed;
}

export async function findBlockRule(db: Db, id: string): Promise<BlockRuleRow | undefined> {
  return db.selectFrom('block_rules').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A rule of this kind and value in force at `now`, if any (no duplicates). */
export async function findLiveRule(db: Db, kind: BlockKind, value: string, now: string): Promise<BlockRuleRow | undefined> {
  return db.selectFrom('block_rules').selectAll().where('kind', '=', kind).where('value', '=', value).where(inForceAt(now)).executeTakeFirst();
}

/** Rules newest first: in force, or every rule including lifted and expired ones. */
export async function listBlockRules(db: Db, q: { activeAt?: string; sampleId?: string; limit: number }): Promise<BlockRuleRow[]> {
  let query = db.selectFrom('block_rules').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit);
  if (q.activeAt) query = query.where(inForceAt(q.activeAt));
  if (q.sampleId) query = query.where('sample_id', '=', q.sampleId);
  return query.execute();
}
