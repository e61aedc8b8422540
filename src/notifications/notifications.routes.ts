import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../platform/http/plugin.js';
import { NotFound } from '../platform/errors/errors.js';
import { ctxOf, isId, queryParam } from '../platform/http/ctx.js';
import { renderPage } from '../platform/http/render.js';
import { isOutboxStatus, notificationHistory, OUTBOX_STATUSES, retryNotification, viewOutbox } from './notifications.commands.js';
import type { NotificationSummary } from './history.repo.js';

/** Dates as people read them, in UTC. */
function when(iso: string | null): string {
  if (!iso) return '';
  return new Date(iso).toLocaleString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC' }) + ' UTC';
}

const STATUS_TEXT: Record<string, string> = { pending: 'Queued', sending: 'Sending', sent: 'Sent', failed: 'Failed', cancelled: 'Not sent' };

function present(rows: NotificationSummary[]) {
  return rows.map((n) => ({
    ...n, when: when(n.sentAt ?? n.createdAt), created: when(n.createdAt), next: when(n.nextAttemptAt),
    statusText: STATUS_TEXT[n.status] ?? n.status, channelText: n.channel === 'sms' ? 'Text message' : 'Email',
  }));
}

/** Notification history (users, LAs) and the outbox with its failures (platform admins). */
export function registerNotificationRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { config, db, clock } = deps;

  app.get('/notifications', async (req, reply) => {
    const before = queryParam(req, 'before');
    const r = await notificationHistory(db, ctxOf(req, clock.now()), { before, limit: 50 });
    return renderPage(req, reply, config, 'notifications/views/notifications.njk', {
      own: present(r.own), organisations: r.organisations ? present(r.organisations) : null,
      nextBefore: r.own.length === 50 ? r.own[49]!.createdAt : undefined,
    });
  });

  app.get('/outbox', async (req, reply) => {
    const s = queryParam(req, 'status');
    const status = s && isOutboxStatus(s) ? s : undefined;
    const before = queryParam(req, 'before');
    const r = await viewOutbox(db, ctxOf(req, clock.now()), { status, before, limit: 100 });
    const retried = queryParam(req, 'retried');
    return renderPage(req, reply, config, 'notifications/views/outbox.njk', {
      rows: present(r.rows), counts: r.counts, statuses: OUTBOX_STATUSES.map((x) => ({ value: x, text: STATUS_TEXT[x] })), status: status ?? '',
      nextBefore: r.rows.length === 100 ? r.rows[99]!.createdAt : undefined,
      flash: retried ? { type: 'success', text: 'The notification is queued again and will be sent within seconds.' } : undefined,
    });
  });

  app.post('/outbox/:id/retry', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    await retryNotification(db, ctxOf(req, clock.now()), id);
    return reply.redirect('/outbox?status=failed&retried=1', 303);
  });
}
