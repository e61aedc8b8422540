import type { Selectable } from 'kysely';
import type { Db } from '../platform/db/db.js';
import type { Bulletin } from './bulletins.js';
import type { BulletinTable } from './bulletins.tables.js';

/** The only SQL of bulletins. Bulletins are platform-wide; reads are per account. */

function toBulletin(r: Selectable<BulletinTable>): Bulletin {
  return { id: r.id, title: r.title, category: r.category, bodyMd: r.body_md, status: r.status, createdAt: r.created_at, updatedAt: r.updated_at, publishedAt: r.published_at };
}

export async function insertBulletin(trx: Db, b: { id: string; title: string; category: string; bodyMd: string; createdBy: string | null; at: string }): Promise<void> {
  await trx.insertInto('bulletins').values({
    id: b.id, title: b.title, category: b.category, body_md: b.bodyMd, status: 'draft', created_by: b.createdBy, created_at: b.at, updated_at: b.at, published_at: null, published_by: null,
  }).execute();
}

/** Updates a draft; false when it is not (or no longer) a draft. */
export async function updateDraft(trx: Db, id: string, b: { title: string; category: string; bodyMd: string; at: string }): Promise<boolean> {
  const r = await trx.updateTable('bulletins').set({ title: b.title, category: b.category, body_md: b.bodyMd, updated_at: b.at }).where('id', '=', id).where('status', '=', 'draft').executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Publishes a draft; false when it was not a draft (so a double submit publishes once). */
export async function markPublished(trx: Db, id: string, by: string | null, at: string): Promise<boolean> {
  const r = await trx.updateTable('bulletins').set({ status: 'published', published_at: at, published_by: by, updated_at: at }).where('id', '=', id).where('status', '=', 'draft').executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function findBulletin(db: Db, id: string, opts: { includeDrafts: boolean }): Promise<Bulletin | undefined> {
  let q = db.selectFrom('bulletins').selectAll().where('id', '=', id);
  if (!opts.includeDrafts) q = q.where('status', '=', 'published');
  const r = await q.executeTakeFirst();
  return r ? toBulletin(r) : undefined;
}

export type BulletinListItem = Bulletin & { read: boolean };

/** Published bulletins, newest first, each marked read or unread for `accountId`. */
export async function listPublished(
  db: Db, accountId: string, q: { category?: string; from?: string; to?: string; limit: number; offset?: number },
): Promise<BulletinListItem[]> {
  let query = db.selectFrom('bulletins as b')
    .leftJoin('bulletin_reads as r', (j) => j.onRef('r.bulletin_id', '=', 'b.id').on('r.account_id', '=', accountId))
    .selectAll('b').select('r.read_at')
    .where('b.status', '=', 'published');
  if (q.category) query = query.where('b.category', '=', q.category);
  if (q.from) query = query.where('b.published_at', '>=', q.from);
  if (q.to) query = query.where('b.published_at', '<', q.to);
  const rows = await query.orderBy('b.published_at', 'desc').orderBy('b.id', 'desc').limit(q.limit).offset(q.offset ?? 0).execute();
  return rows.map((r) => ({ ...toBulletin(r), read: r.read_at !== null }));
}

export async function listDrafts(db: Db): Promise<Bulletin[]> {
  return (await db.selectFrom('bulletins').selectAll().where('status', '=', 'draft').orderBy('updated_at', 'desc').limit(100).execute()).map(toBulletin);
}

/** Years that have published bulletins, newest first (for the archive). */
export async function publishedYears(db: Db): Promise<number[]> {
  const rows = await db.selectFrom('bulletins').select('published_at').where('status', '=', 'published').execute();
  return [...new Set(rows.map((r) => Number(r.published_at!.slice(0, 4))))].sort((a, b) => b - a);
}

export async function countUnread(db: Db, accountId: string): Promise<number> {
  const r = await db.selectFrom('bulletins as b')
    .select(db.fn.countAll<number>().as('n'))
    .where('b.status', '=', 'published')
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('bulletin_reads as r').select('r.bulletin_id').whereRef('r.bulletin_id', '=', 'b.id').where('r.account_id', '=', accountId))))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function markRead(db: Db, bulletinId: string, accountId: string, at: string): Promise<void> {
  await db.insertInto('bulletin_reads').values({ bulletin_id: bulletinId, account_id: accountId, read_at: at })
    .onConflict((oc) => oc.columns(['bulletin_id', 'account_id']).doNothing()).execute();
}

/** Every active Local Administrator once (an LA of several organisations gets one email), with one of their organisations. */
export async function localAdministrators(db: Db): Promise<{ id: string; email: string; display_name: string; organisation_id: string }[]> {
  const rows = await db.selectFrom('accounts as a')
    .innerJoin('account_roles as g', 'g.account_id', 'a.id')
    .select((eb) => ['a.id', 'a.email', 'a.display_name', eb.fn.min('g.scope').as('organisation_id')])
    .where('g.role', '=', 'local-admin').where('a.status', '=', 'active')
    .groupBy(['a.id', 'a.email', 'a.display_name'])
    .orderBy('a.email')
    .execute();
  return rows.map((r) => ({ ...r, organisation_id: String(r.organisation_id) }));
}
