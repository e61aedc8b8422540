import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../clock.js';
import type { Config } from '../config/config.js';
import { decryptSecret, deriveKey } from '../crypto/secrets.js';
import type { Db } from '../db/db.js';
import type { Logger } from '../log/log.js';
import { sendEmail } from './mailer.js';
import { afterFailure, LEASE_MS, scrubError } from './notify.js';
import { GUARD_KEY } from './outbox.js';
import { accountForGuard, claimDue, markAttemptFailed, markCancelled, markSent, type NotificationRow } from './outbox.repo.js';
import { renderEmail, renderSms } from './render.js';
import { sendSms } from './sms.js';

export interface RunnerDeps {
  db: Db;
  config: Config;
  clock: Clock;
  logger?: Logger;
}

export interface RunResult {
  sent: number;
  failed: number;
  retried: number;
  /** Rows no longer wanted when their turn came (e.g. a reminder after a password change). */
  cancelled: number;
}

const defaultWorker = `${hostname()}:${process.pid}`;

/** A failure that retrying cannot fix (bad template, undecryptable payload). */
class Permanent extends Error {}

async function guardProblem(db: Db, row: NotificationRow, passwordSetAt: unknown): Promise<string | null> {
  if (typeof passwordSetAt !== 'string') return null;
  if (!row.account_id) return 'guarded notification without an account';
  const a = await accountForGuard(db, row.account_id);
  if (!a) return 'account no longer exists';
  if (a.status !== 'active') return `account is ${a.status}`;
  if (a.email.toLowerCase() !== row.recipient.toLowerCase()) return "recipient is no longer the account's address";
  if (a.password_changed_at !== passwordSetAt) return 'password changed since this was queued';
  return null;
}

async function deliverOne(deps: RunnerDeps, row: NotificationRow, claimId: string): Promise<'sent' | 'failed' | 'retried' | 'cancelled'> {
  const { db, config, clock, logger } = deps;
  const log = logger?.child({ notificationId: row.id, template: row.template, channel: row.channel, attempt: row.attempts });
  let data: Record<string, unknown> = {};
  let subject: string | null = null;
  try {
    if (!row.payload_enc) throw new Permanent('payload missing');
    try {
      data = JSON.parse(decryptSecret(deriveKey(config.secretKey, 'notifications'), row.payload_enc)) as Record<string, unknown>;
    } catch {
      throw new Permanent('payload cannot be decrypted with the configured secret key');
    }
    const { [GUARD_KEY]: guard, ...templateData } = data;
    const problem = await guardProblem(db, row, guard);
    if (problem) {
      await markCancelled(db, row.id, claimId, `not sent: ${problem}`);
      log?.info({ reason: problem }, 'notification cancelled');
      return 'cancelled';
    }
    let providerRef: string;
    if (row.channel === 'email') {
      let rendered;
      try {
        rendered = renderEmail(config, row.template, templateData);
      } catch (err) {
        throw new Permanent(`template ${row.template}: ${(err as Error).message}`);
      }
      subject = rendered.subject;
      const r = await sendEmail({ config, logger }, {
        to: row.recipient, subject: rendered.subject, text: rendered.text, html: rendered.html,
        // Stable per row: if a node dies after the relay accepted but before we recorded
        // it, the copy sent again carries the same Message-ID and receivers can drop it.
        messageId: `<${row.id}@${config.platformDomain}>`, date: clock.now(),
      });
      providerRef = r.messageId;
    } else {
      let rendered;
      try {
        rendered = renderSms(config, row.template, templateData);
      } catch (err) {
        throw new Permanent(`template ${row.template}: ${(err as Error).message}`);
      }
      subject = rendered.subject;
      providerRef = (await sendSms({ config, logger, now: clock.now() }, { to: row.recipient, body: rendered.body, reference: row.id })).providerRef;
    }
    const ok = await markSent(db, row.id, claimId, { at: clock.now().toISOString(), subject: subject ?? '', providerRef });
    if (!ok) log?.warn('sent, but the claim had expired: the lease is shorter than a send took');
    log?.info('notification sent');
    return 'sent';
  } catch (err) {
    const permanent = err instanceof Permanent;
    const next = permanent
      ? { status: 'failed' as const, nextAttemptAt: clock.now().toISOString() }
      : afterFailure(row.attempts, config.outboxMaxAttempts, clock.now(), config.outboxRetrySeconds);
    const error = scrubError((err as Error).message ?? String(err), data);
    await markAttemptFailed(db, row.id, claimId, { ...next, error, subject });
    log?.warn({ error, status: next.status, nextAttemptAt: next.nextAttemptAt }, 'notification attempt failed');
    return next.status === 'failed' ? 'failed' : 'retried';
  }
}

/**
 * Sends what is due in the outbox, once: claims due rows atomically under a lease (so
 * several nodes never send one row; a node that crashed mid-way leaves its rows to be
 * claimed again when the lease expires), renders each template, sends it (email: DKIM-
 * signed through the smarthost or the local Maildir; SMS: GOV.UK Notify or the local
 * outbox), then marks it sent with its subject and provider id and erases the payload.
 * A failed attempt is retried with exponential backoff; after `outboxMaxAttempts` the
 * row is 'failed' with `last_error` (scrubbed of the payload). Errors of individual rows
 * never escape; database errors do.
 */
export async function deliverDueNotifications(deps: RunnerDeps, opts: { limit?: number; workerId?: string } = {}): Promise<RunResult> {
  const claimId = `${opts.workerId ?? defaultWorker}/${randomBytes(6).toString('hex')}`;
  const rows = await claimDue(deps.db, claimId, deps.clock.now(), LEASE_MS, opts.limit ?? 50);
  const result: RunResult = { sent: 0, failed: 0, retried: 0, cancelled: 0 };
  // A few at a time: a pooled smarthost connection each, without flooding the relay.
  const queue = [...rows];
  await Promise.all(Array.from({ length: Math.min(4, queue.length) }, async () => {
    for (let row = queue.shift(); row; row = queue.shift()) result[await deliverOne(deps, row, claimId)]++;
  }));
  return result;
}
