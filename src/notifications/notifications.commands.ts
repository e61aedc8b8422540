import { recordAudit } from '../audit/audit.commands.js';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { Conflict, NotFound, Unauthenticated } from '../platform/errors/errors.js';
import { countByStatus, listForAccount, listForOrganisations, listOutbox, type NotificationSummary } from './history.repo.js';
import type { NotificationTable } from '../platform/notify/notify.tables.js';
import { authorizeOutbox, notificationOrgScope } from './notifications.policy.js';
import { findNotification, requeueFailed } from '../platform/notify/outbox.repo.js';

export const OUTBOX_STATUSES = ['pending', 'sending', 'sent', 'failed', 'cancelled'] as const;
export type OutboxStatus = NotificationTable['status'];

export function isOutboxStatus(v: string): v is OutboxStatus {
  return (OUTBOX_STATUSES as readonly string[]).includes(v);
}

/**
 * What the platform sent the signed-in account, and (for LAs) what it sent about their
 * organisations. Newest first, one page each.
 * @throws Unauthenticated without an actor
 */
export async function notificationHistory(db: Db, ctx: Ctx, page: { before?: string; limit?: number } = {}): Promise<{ own: NotificationSummary[]; organisations: NotificationSummary[] | null }> {
  if (!ctx.actor) throw new Unauthenticated();
  const limit = Math.min(page.limit ?? 50, 200);
  const scope = notificationOrgScope(ctx.actor);
  const own = await listForAccount(db, ctx.actor.accountId, { before: page.before, limit });
  const organisations = !scope.all && scope.organisationIds.length === 0 ? null : await listForOrganisations(db, scope, { before: page.before, limit });
  return { own, organisations };
}

/**
 * The outbox for platform admins (and the CLI): rows, newest first, and counts per status.
 * @throws Forbidden for anyone else
 */
export async function viewOutbox(db: Db, ctx: Ctx, filter: { status?: OutboxStatus; before?: string; limit?: number } = {}): Promise<{ rows: NotificationSummary[]; counts: Record<OutboxStatus, number> }> {
  authorizeOutbox(ctx.actor);
  const rows = await listOutbox(db, { status: filter.status, before: filter.before, limit: Math.min(filter.limit ?? 100, 1000) });
  return { rows, counts: await countByStatus(db) };
}

/**
 * Puts a failed notification back in the queue (attempts start again), audited.
 * @throws Forbidden unless a platform admin; NotFound for an unknown id; Conflict unless it failed
 */
export async function retryNotification(db: Db, ctx: Ctx, id: string): Promise<void> {
  authorizeOutbox(ctx.actor);
  await db.transaction().execute(async (trx) => {
    const row = await findNotification(trx, id);
    if (!row) throw new NotFound();
    if (!(await requeueFailed(trx, id, ctx.now.toISOString()))) {
      throw new Conflict(row.status === 'failed' ? 'This notification can no longer be sent (its content was erased).' : `Only failed notifications can be retried; this one is ${row.status}.`);
    }
    await recordAudit(trx, ctx, {
      action: 'notification.retry', organisationId: row.organisation_id, target: `notification:${id}`,
      details: { template: row.template, channel: row.channel, attempts: Number(row.attempts) },
    });
  });
}
