/**
 * The durable outbox. A notification row is inserted in the same transaction as the change
 * that caused it, then a runner sends it (runner.ts; docs/NOTIFICATIONS.md). The template data is
 * encrypted at rest because it can hold a temporary password or a one-time code.
 */
export interface NotificationTable {
  id: string;
  channel: 'email' | 'sms';
  /** Template id `<capability>/<name>`: files under src/<capability>/notifications/. */
  template: string;
  /** Email address or E.164 mobile number. */
  recipient: string;
  account_id: string | null;
  organisation_id: string | null;
  /** AES-256-GCM (secrets.encryptSecret, purpose 'notifications') of the JSON template data. */
  payload_enc: string | null;
  /** Filled when rendered; shown in notification history. */
  subject: string | null;
  /** 'cancelled': no longer wanted when its turn came (e.g. a reminder after the password changed). */
  status: 'pending' | 'sending' | 'sent' | 'failed' | 'cancelled';
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  /** When set, at most one notification with this key ever exists (e.g. one reminder per day-mark). */
  dedupe_key: string | null;
  locked_by: string | null;
  locked_until: string | null;
  created_at: string;
  sent_at: string | null;
  /** Message-ID (email) or provider id (SMS) of what was sent. */
  provider_ref: string | null;
}

/** A lease per background job, so that one node at a time runs it (platform/jobs). */
export interface JobLeaseTable {
  name: string;
  locked_by: string | null;
  locked_until: string | null;
  last_run_at: string | null;
}

export interface NotifyTables {
  notifications: NotificationTable;
  job_leases: JobLeaseTable;
}
