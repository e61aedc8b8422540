import type { Clock } from '../platform/clock.js';
import type { Config } from '../platform/config/config.js';
import { reportingAddresses } from '../reports/reports.config.js';
import type { Db } from '../platform/db/db.js';
import type { Logger } from '../platform/log/log.js';
import { newId } from '../platform/ids.js';
import { enqueueNotifications } from '../platform/notify/outbox.js';
import { expiryOf, markWindow, REMINDER_DAYS, reminderData, reminderDedupeKey } from './reminders.js';
import { lifetimesInUse, recordReminders, reminderCandidates } from './reminders.repo.js';

export const REMINDER_TEMPLATE = 'reminders/password-expiry';

export interface RemindersDeps {
  db: Db;
  config: Config;
  clock: Clock;
  logger?: Logger;
}

/**
 * Queues every password-expiry reminder due now: for each lifetime in use and each mark
 * (18, 10, 5, 2, 1 days), the accounts whose current mark it is and that have not had
 * it for this password. Each reminder goes from no-reply@ to the account's own address
 * only, and carries a guard so the outbox drops it if the password (or the address)
 * changes before it is sent. Idempotent: running it twice, or on several nodes at once,
 * queues each reminder once (a bookkeeping row with a primary key, in the same
 * transaction as the outbox row). Reads only the accounts inside the marks' windows.
 */
export async function runPasswordReminders(deps: RemindersDeps, opts: { pageSize?: number } = {}): Promise<{ scanned: number; queued: number }> {
  const { db, config, clock } = deps;
  const now = clock.now();
  const at = now.toISOString();
  const reportAddress = reportingAddresses(config)[0]!;
  const pageSize = opts.pageSize ?? 1000;
  let scanned = 0;
  let queued = 0;
  for (const lifetimeDays of await lifetimesInUse(db)) {
    for (let i = 0; i < REMINDER_DAYS.length; i++) {
      const w = markWindow(now, lifetimeDays, i);
      let cursor: { changedAt: string; id: string } | undefined;
      for (;;) {
        const page = await reminderCandidates(db, { lifetimeDays, days: w.days, after: w.after, upTo: w.upTo, cursor, limit: pageSize });
        if (!page.length) break;
        scanned += page.length;
        await db.transaction().execute(async (trx) => {
          const planned = page.map((a) => ({ a, notificationId: newId(now.getTime()) }));
          const fresh = await recordReminders(trx, planned.map(({ a, notificationId }) => ({
            accountId: a.id, changedAt: a.password_changed_at, lifetimeDays, days: w.days, notificationId, at,
          })));
          const due = planned.filter(({ a }) => fresh.has(a.id));
          const ids = await enqueueNotifications(trx, config.secretKey, now, due.map(({ a }) => ({
            channel: 'email' as const, template: REMINDER_TEMPLATE, to: a.email, accountId: a.id, organisationId: a.organisation_id,
            data: reminderData({ publicUrl: config.publicUrl, email: a.email, displayName: a.display_name, expiresAt: expiryOf(a.password_changed_at, lifetimeDays)!, now, reportAddress }),
            dedupeKey: reminderDedupeKey(a.id, a.password_changed_at, lifetimeDays, w.days),
            onlyWhilePasswordSetAt: a.password_changed_at,
          })), due.map((d) => d.notificationId));
          queued += ids.length;
        });
        const last = page[page.length - 1]!;
        cursor = { changedAt: last.password_changed_at, id: last.id };
        if (page.length < pageSize) break;
      }
    }
  }
  if (queued) deps.logger?.info({ queued, scanned }, 'password-expiry reminders queued');
  return { scanned, queued };
}
