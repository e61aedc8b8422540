import { recordAudit } from '../audit/audit.commands.js';
import type { Config } from '../platform/config/config.js';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { Conflict, Invalid, NotFound, Unauthenticated } from '../platform/errors/errors.js';
import { newId } from '../platform/ids.js';
import { enqueueNotification } from '../platform/notify/outbox.js';
import { type Bulletin, type BulletinInput, bulletinProblems, renderBulletinHtml } from './bulletins.js';
import { authorizeReadBulletins, authorizeWriteBulletins, canReadBulletins, canWriteBulletins } from './bulletins.policy.js';
import {
  type BulletinListItem, countUnread, findBulletin, insertBulletin, listDrafts, listPublished, localAdministrators, markPublished, markRead, publishedYears, updateDraft,
} from './bulletins.repo.js';

export const BULLETIN_TEMPLATE = 'bulletins/published';

function clean(input: BulletinInput): BulletinInput {
  return { title: input.title.trim(), category: input.category, body: input.body.replace(/\r\n/g, '\n') };
}

/**
 * Saves a new draft (platform admins).
 * @throws Forbidden; Invalid with the problems (nothing saved)
 */
export async function createBulletin(db: Db, ctx: Ctx, input: BulletinInput): Promise<string> {
  authorizeWriteBulletins(ctx.actor);
  const b = clean(input);
  const problems = bulletinProblems(b);
  if (problems.length) throw new Invalid('The bulletin was not saved.', problems);
  const id = newId(ctx.now.getTime());
  await db.transaction().execute(async (trx) => {
    await insertBulletin(trx, { id, title: b.title, category: b.category, bodyMd: b.body, createdBy: ctx.actor?.accountId ?? null, at: ctx.now.toISOString() });
    await recordAudit(trx, ctx, { action: 'bulletin.draft.create', target: `bulletin:${id}`, details: { title: b.title, category: b.category } });
  });
  return id;
}

/**
 * Changes a draft (published bulletins are final).
 * @throws Forbidden; NotFound; Conflict once published; Invalid with the problems
 */
export async function updateBulletin(db: Db, ctx: Ctx, id: string, input: BulletinInput): Promise<void> {
  authorizeWriteBulletins(ctx.actor);
  const b = clean(input);
  const problems = bulletinProblems(b);
  if (problems.length) throw new Invalid('The bulletin was not saved.', problems);
  await db.transaction().execute(async (trx) => {
    const existing = await findBulletin(trx, id, { includeDrafts: true });
    if (!existing) throw new NotFound();
    if (!(await updateDraft(trx, id, { title: b.title, category: b.category, bodyMd: b.body, at: ctx.now.toISOString() }))) throw new Conflict('This bulletin is published and can no longer be changed.');
    await recordAudit(trx, ctx, { action: 'bulletin.draft.update', target: `bulletin:${id}`, details: { title: b.title, category: b.category } });
  });
}

/**
 * Publishes a draft: every LA sees it in the portal, and every active Local Administrator
 * gets one email through the outbox (committed with the publication). Publishing twice
 * is refused, so nobody gets two emails.
 * @throws Forbidden; NotFound; Conflict when already published
 */
export async function publishBulletin(db: Db, ctx: Ctx, config: Config, id: string): Promise<{ recipients: number }> {
  authorizeWriteBulletins(ctx.actor);
  return db.transaction().execute(async (trx) => {
    const b = await findBulletin(trx, id, { includeDrafts: true });
    if (!b) throw new NotFound();
    const at = ctx.now.toISOString();
    if (!(await markPublished(trx, id, ctx.actor?.accountId ?? null, at))) throw new Conflict('This bulletin is already published.');
    const bodyHtml = renderBulletinHtml(b.bodyMd);
    let recipients = 0;
    for (const la of await localAdministrators(trx)) {
      const queued = await enqueueNotification(trx, config.secretKey, ctx.now, {
        channel: 'email', template: BULLETIN_TEMPLATE, to: la.email, accountId: la.id, organisationId: la.organisation_id,
        data: { title: b.title, category: b.category, publishedAt: at, bodyHtml, bodyText: b.bodyMd, displayName: la.display_name },
        dedupeKey: `bulletin:${id}:${la.id}`,
      });
      if (queued) recipients++;
    }
    await recordAudit(trx, ctx, { action: 'bulletin.publish', target: `bulletin:${id}`, details: { title: b.title, category: b.category, recipients } });
    return { recipients };
  });
}

/**
 * The bulletins page: the latest published ones with unread markers, the unread count,
 * and (platform admins) the drafts.
 * @throws Unauthenticated; Forbidden for readers without an LA or platform role
 */
export async function bulletinsFor(db: Db, ctx: Ctx, q: { category?: string } = {}): Promise<{ items: BulletinListItem[]; unread: number; drafts: Bulletin[] | null }> {
  if (!ctx.actor) throw new Unauthenticated();
  authorizeReadBulletins(ctx.actor);
  const items = await listPublished(db, ctx.actor.accountId, { category: q.category, limit: 10 });
  return { items, unread: await countUnread(db, ctx.actor.accountId), drafts: canWriteBulletins(ctx.actor) ? await listDrafts(db) : null };
}

/** The archive: every published bulletin of a year (default the latest), optionally one category. */
export async function bulletinArchive(db: Db, ctx: Ctx, q: { year?: number; category?: string }): Promise<{ years: number[]; year: number | null; items: BulletinListItem[] }> {
  if (!ctx.actor) throw new Unauthenticated();
  authorizeReadBulletins(ctx.actor);
  const years = await publishedYears(db);
  const year = q.year && years.includes(q.year) ? q.year : years[0] ?? null;
  if (year === null) return { years, year, items: [] };
  const items = await listPublished(db, ctx.actor.accountId, { category: q.category, from: `${year}-01-01`, to: `${year + 1}-01-01`, limit: 1000 });
  return { years, year, items };
}

/**
 * One bulletin. A published one is marked read for the reader; a draft is shown (as a
 * preview) to platform admins only, and is NotFound for everyone else.
 * @throws Unauthenticated; Forbidden; NotFound
 */
export async function openBulletin(db: Db, ctx: Ctx, id: string): Promise<{ bulletin: Bulletin; html: string; canEdit: boolean }> {
  if (!ctx.actor) throw new Unauthenticated();
  authorizeReadBulletins(ctx.actor);
  const writer = canWriteBulletins(ctx.actor);
  const bulletin = await findBulletin(db, id, { includeDrafts: writer });
  if (!bulletin) throw new NotFound();
  if (bulletin.status === 'published') await markRead(db, id, ctx.actor.accountId, ctx.now.toISOString());
  return { bulletin, html: renderBulletinHtml(bulletin.bodyMd), canEdit: writer && bulletin.status === 'draft' };
}

/** Unread published bulletins for the dashboard and the nav (0 for those who cannot read them). */
export async function unreadBulletins(db: Db, ctx: Ctx): Promise<number> {
  if (!ctx.actor || !canReadBulletins(ctx.actor)) return 0;
  return countUnread(db, ctx.actor.accountId);
}

/** A bulletin to edit: platform admins only; a published one is returned too (the page sends it back to reading). @throws Forbidden, NotFound */
export async function bulletinToEditFor(db: Db, ctx: Ctx, id: string): Promise<Bulletin> {
  authorizeWriteBulletins(ctx.actor);
  const b = await findBulletin(db, id, { includeDrafts: true });
  if (!b) throw new NotFound();
  return b;
}

/** Opens the new-bulletin form (platform admins only). @throws Forbidden */
export function openNewBulletin(ctx: Ctx): void {
  authorizeWriteBulletins(ctx.actor);
}
