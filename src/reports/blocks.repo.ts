import type { Insertable, Selectable } from 'kysely';
import type { Db } from '../platform/db/db.js';
import type { ActiveRule } from './blocklist.js';
import type { BlockKind } from './reports.js';
import type { BlockRuleTable } from './reports.tables.js';

/** SQL of block rules and their version counter. Handle first. */

export type BlockRuleRow = Selectable<BlockRuleTable>;

/** Rules in force at `now`: not lifted, not expired. */
export async function activeBlockRules(db: Db, now: string): Promise<ActiveRule[]> {
  const rows = await db.selectFrom('block_rules').select(['id', 'kind', 'value', 'expires_at'])
    .where('lifted_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .orderBy('created_at').execute();
  return rows.map((r) => ({ id: r.id, kind: r.kind, value: r.value, expiresAt: r.expires_at }));
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
  return db.selectFrom('block_rules').selectAll().where('kind', '=', kind).where('value', '=', value).where('lifted_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)])).executeTakeFirst();
}

/** Rules newest first: in force, or every rule including lifted and expired ones. */
export async function listBlockRules(db: Db, q: { activeAt?: string; sampleId?: string; limit: number }): Promise<BlockRuleRow[]> {
  let query = db.selectFrom('block_rules').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit);
  if (q.activeAt) {
    const at = q.activeAt;
    query = query.where('lifted_at', 'is', null).where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]));
  }
  if (q.sampleId) query = query.where('sample_id', '=', q.sampleId);
  return query.execute();
}
