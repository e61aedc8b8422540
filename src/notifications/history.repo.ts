import type { Db } from '../platform/db/db.js';
import type { OrgScope } from '../directory/directory.policy.js';
import type { NotificationTable } from '../platform/notify/notify.tables.js';

/** Read side of the outbox: history for users and LAs, the outbox for platform admins. Never the payload. */

export interface NotificationSummary {
  id: string;
  channel: 'email' | 'sms';
  template: string;
  recipient: string;
  accountId: string | null;
  organisationId: string | null;
  subject: string | null;
  status: NotificationTable['status'];
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

const COLUMNS = [
  'id', 'channel', 'template', 'recipient', 'account_id', 'organisation_id', 'subject', 'status', 'attempts', 'next_attempt_at', 'last_error', 'created_at', 'sent_at',
] as const;

type Row = Pick<NotificationTable, (typeof COLUMNS)[number]>;

function toSummary(r: Row): NotificationSummary {
  return {
    id: r.id, channel: r.channel, template: r.template, recipient: r.recipient, accountId: r.account_id, organisationId: r.organisation_id,
    subject: r.subject, status: r.status, attempts: Number(r.attempts), nextAttemptAt: r.next_attempt_at, lastError: r.last_error,
    createdAt: r.created_at, sentAt: r.sent_at,
  };
}

export interface Page {
  /** created_at of the last row of the previous page. */
  before?: string;
  limit: number;
}

/** What was sent (or is queued) to one account, newest first. */
export async function listForAccount(db: Db, accountId: string, page: Page): Promise<NotificationSummary[]> {
  let q = db.selectFrom('notifications').select(COLUMNS).where('account_id', '=', accountId).where('status', '!=', 'cancelled');
  if (page.before) q = q.where('created_at', '<', page.before);
  return (await q.orderBy('created_at', 'desc').limit(page.limit).execute()).map(toSummary);
}

/** Notifications about the organisations in scope (an empty scope matches nothing), newest first. */
export async function listForOrganisations(db: Db, scope: OrgScope, page: Page): Promise<NotificationSummary[]> {
  if (!scope.all && scope.organisationIds.length === 0) return [];
  let q = db.selectFrom('notifications').select(COLUMNS).where('status', '!=', 'cancelled');
  if (!scope.all) q = q.where('organisation_id', 'in', [...scope.organisationIds]);
  if (page.before) q = q.where('created_at', '<', page.before);
  return (await q.orderBy('created_at', 'desc').limit(page.limit).execute()).map(toSummary);
}

/** The whole outbox, optionally one status, newest first (platform admins only: check the policy first). */
export async function listOutbox(db: Db, filter: { status?: NotificationTable['status'] } & Page): Promise<NotificationSummary[]> {
  let q = db.selectFrom('notifications').select(COLUMNS);
  if (filter.status) q = q.where('status', '=', filter.status);
  if (filter.before) q = q.where('created_at', '<', filter.before);
  return (await q.orderBy('created_at', 'desc').limit(filter.limit).execute()).map(toSummary);
}

/** Rows per status, for the outbox page and the dashboard. */
export async function countByStatus(db: Db): Promise<Record<NotificationTable['status'], number>> {
  const rows = await db.selectFrom('notifications').select(['status', db.fn.countAll<number>().as('n')]).groupBy('status').execute();
  const out = { pending: 0, sending: 0, sent: 0, failed: 0, cancelled: 0 };
  for (const r of rows) out[r.status] = Number(r.n);
  return out;
}
