/**
 * Tables of this capability, merged into the Database type in platform/db/schema.ts.
 * Same conventions as there: ISO-8601 UTC strings for times, 0/1 for booleans.
 */

/** Messages (or some of their recipients) held instead of delivered. */
export interface GatewayQuarantineTable {
  id: string;
  /** Keyed hash of the message as received (sender, Message-ID, body): a retry is held once. */
  message_key: string;
  received_at: string;
  reason: 'spoofed-system-mail' | 'blocked';
  /** Block rule that matched (reason 'blocked'). */
  rule_id: string | null;
  /** Why, in words an analyst can act on (never the body). */
  detail: string;
  mail_from: string;
  header_from: string | null;
  /** JSON array of the recipients whose copy is held. */
  recipients: string;
  subject: string | null;
  message_id: string | null;
  size: number;
  remote_address: string | null;
  smtp_session_id: string | null;
  /** The message (base64), as it would have been delivered before tips; null once deleted. */
  raw_b64: string | null;
  status: 'held' | 'released' | 'deleted';
  decided_at: string | null;
  /** Account id of who released or deleted it, or 'cli'. */
  decided_by: string | null;
}

/** Recipients already served of a message whose SMTP reply was not 250 (so its retry skips them). */
export interface GatewayRedeliveryTable {
  /** Keyed hash of (message, recipient). */
  key: string;
  created_at: string;
}

export interface GatewayTables {
  gateway_quarantine: GatewayQuarantineTable;
  gateway_redelivery: GatewayRedeliveryTable;
}

declare module '../platform/db/schema.js' {
  interface Database extends GatewayTables {}
}
