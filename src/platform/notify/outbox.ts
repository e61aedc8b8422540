import { deriveKey, encryptSecret } from '../crypto/secrets.js';
import type { Db } from '../db/db.js';
import { newId } from '../ids.js';
import { insertNotification } from './outbox.repo.js';

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
}

/**
 * Puts a notification in the durable outbox, inside the caller's transaction `trx`, so
 * that it exists if and only if the change that caused it commits. The outbox runner sends
 * it afterwards (with retries). Returns the new id, or null when `dedupeKey` already exists.
 * @throws Error when the secret key is missing
 */
export async function enqueueNotification(trx: Db, secretKey: Buffer, now: Date, req: NotificationRequest): Promise<string | null> {
  const id = newId();
  const payload = encryptSecret(deriveKey(secretKey, 'notifications'), JSON.stringify(req.data ?? {}));
  const at = now.toISOString();
  const inserted = await insertNotification(trx, {
    id, channel: req.channel, template: req.template, recipient: req.to,
    account_id: req.accountId ?? null, organisation_id: req.organisationId ?? null,
    payload_enc: payload, subject: null, status: 'pending', attempts: 0, next_attempt_at: at,
    last_error: null, dedupe_key: req.dedupeKey ?? null, locked_by: null, locked_until: null,
    created_at: at, sent_at: null, provider_ref: null,
  });
  return inserted ? id : null;
}
