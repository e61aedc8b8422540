import { deriveKey, encryptSecret } from '../crypto/secrets.js';
import type { Db } from '../db/db.js';
import { newId } from '../ids.js';
import { insertNotification, insertNotifications } from './outbox.repo.js';
import type { NotificationTable } from './notify.tables.js';

/** What a capability asks the platform to send. */
export interface NotificationRequest {
  channel: 'email' | 'sms';
  /** `<capability>/<name>`: src/<capability>/notifications/<name>.{subject,txt,html}.njk (email) or <name>.sms.njk (SMS). */
  template: string;
  /** Email address (email) or E.164 number (SMS). Never another person's address for account mail. */
  to: string;
  accountId?: string | null;
  organisationId?: string | null;
  /** Template variables. Encrypted at rest; may hold a temporary password or code. */
  data?: Record<string, unknown>;
  /** At most one notification per key, ever (e.g. `reminder:<account>:<expiry>:<days>`). */
  dedupeKey?: string;
  /**
   * Send only while the account (`accountId`) is active, still has the address `to`, and
   * still has the password set at this time (ISO string). Otherwise the runner cancels it:
   * a password-expiry reminder must never go out after the password changed.
   */
  onlyWhilePasswordSetAt?: string;
}

/** Reserved key of the encrypted payload that carries `onlyWhilePasswordSetAt`. */
export const GUARD_KEY = '__onlyWhilePasswordSetAt';

/**
 * Puts a notification in the durable outbox, inside the caller's transaction `trx`, so
 * that it exists if and only if the change that caused it commits. The outbox runner sends
 * it afterwards (with retries). Returns the new id, or null when `dedupeKey` already exists.
 * @throws Error when the secret key is missing
 */
export async function enqueueNotification(trx: Db, secretKey: Buffer, now: Date, req: NotificationRequest): Promise<string | null> {
  const row = toRow(deriveKey(secretKey, 'notifications'), now, req, newId(now.getTime()));
  return (await insertNotification(trx, row)) ? row.id : null;
}

function toRow(key: Buffer, now: Date, req: NotificationRequest, id: string): NotificationTable {
  const data = req.onlyWhilePasswordSetAt ? { ...req.data, [GUARD_KEY]: req.onlyWhilePasswordSetAt } : req.data ?? {};
  const at = now.toISOString();
  return {
    id, channel: req.channel, template: req.template, recipient: req.to,
    account_id: req.accountId ?? null, organisation_id: req.organisationId ?? null,
    payload_enc: encryptSecret(key, JSON.stringify(data)), subject: null, status: 'pending', attempts: 0, next_attempt_at: at,
    last_error: null, dedupe_key: req.dedupeKey ?? null, locked_by: null, locked_until: null,
    created_at: at, sent_at: null, provider_ref: null,
  };
}

/**
 * enqueueNotification for many at once (multi-row inserts): for jobs that queue thousands
 * in one transaction. `ids` (optional) fixes each row's id. Returns the ids inserted
 * (rows whose dedupe key already existed are skipped).
 * @throws Error when the secret key is missing
 */
export async function enqueueNotifications(trx: Db, secretKey: Buffer, now: Date, reqs: readonly NotificationRequest[], ids?: readonly string[]): Promise<string[]> {
  if (!reqs.length) return [];
  const key = deriveKey(secretKey, 'notifications');
  const rows = reqs.map((r, i) => toRow(key, now, r, ids?.[i] ?? newId(now.getTime())));
  return insertNotifications(trx, rows);
}
