/**
 * Tables of this capability, merged into the Database type in platform/db/schema.ts.
 * Same conventions as there: ISO-8601 UTC strings for times, 0/1 for booleans.
 * No address is ever stored: keys are keyed hashes (see keys.ts).
 */

/** One row per (recipient, sender) pair that has had a message delivered. */
export interface MailtipsPairTable {
  /** base64url HMAC-SHA256 of the normalised pair, key derived from the secret key. */
  pair_key: string;
  /** Day (YYYY-MM-DD, UTC) of the first delivery. */
  first_seen: string;
  /** Day (YYYY-MM-DD, UTC) of the latest delivery: retention counts from here. */
  last_seen: string;
}

/** Messages delivered per sender per day: the low-volume rule sums them over the window. */
export interface MailtipsSenderDayTable {
  /** base64url HMAC-SHA256 of the normalised sender address. */
  sender_key: string;
  /** YYYY-MM-DD (UTC). */
  day: string;
  messages: number;
}

export interface MailtipsTables {
  mailtips_pairs: MailtipsPairTable;
  mailtips_sender_days: MailtipsSenderDayTable;
}

declare module '../platform/db/schema.js' {
  interface Database extends MailtipsTables {}
}
