/**
 * Tables of this capability, merged into the Database type in platform/db/schema.ts.
 * Same conventions as there: ISO-8601 UTC strings for times, 0/1 for booleans.
 */

/** One of an account's three security questions. The answer itself is never stored. */
export interface SecurityQuestionTable {
  account_id: string;
  /** 0, 1 or 2. */
  slot: number;
  question: string;
  /**
   * JSON array, one entry per character of the normalised answer: HMAC-SHA256 (hex) of
   * (account, slot, position, character) under a key derived from the configured secret
   * key. A copy of the database alone cannot test a guess.
   */
  char_hashes: string;
  created_at: string;
}

/** The challenge an account is asked until it is answered (one per account: no re-rolling). */
export interface RecoveryChallengeTable {
  account_id: string;
  id: string;
  /** JSON array of { slot, position } (0-based), two different slots. */
  positions: string;
  created_at: string;
}

export type RecoveryChannel = 'helpdesk' | 'la' | 'self-service';
export type VerificationStatus = 'failed' | 'second-factor' | 'passed' | 'used';

/** One answered challenge: the record a reset must present (bound to agent and flow, single use, short-lived). */
export interface RecoveryVerificationTable {
  id: string;
  account_id: string;
  organisation_id: string;
  channel: RecoveryChannel;
  /** The agent who ran it (null for self-service). */
  agent_id: string | null;
  agent_organisation_id: string | null;
  /** The agent's session (portal) the flow belongs to; null for the API. */
  flow: string | null;
  challenge_id: string;
  questions_passed: number;
  /** JSON array of the second factors the caller may use ('totp', 'sms'); empty when none is needed. */
  second_factor_options: string;
  /** The second factor that was passed, if any. */
  second_factor: 'totp' | 'sms' | null;
  /** HMAC of the SMS code (never the code), and when it expires. */
  sms_code_hash: string | null;
  sms_expires_at: string | null;
  status: VerificationStatus;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

/** Failed verifications of an account and its verification lock. */
export interface RecoveryThrottleTable {
  account_id: string;
  failures: number;
  lockouts: number;
  locked_until: string | null;
  updated_at: string;
}

/**
 * Self-service failures, counted apart from the console's lock. `key` is `address:` or
 * `client:` and a keyed hash (hex) of the normalised address typed or the client address,
 * so the same row exists whether or not an account has that address.
 */
export interface RecoverySelfServiceTable {
  key: string;
  /** Failures in the window that started at `window_started_at`. */
  failures: number;
  window_started_at: string;
  /** Address rows only: the made-up challenge once re-rolled (null: the one derived from the address). */
  challenge_id: string | null;
  /** JSON array of { slot, position } of that challenge. */
  positions: string | null;
  updated_at: string;
}

/** Every reset, as the reset review shows it: a snapshot taken at the time of the reset. */
export interface PasswordResetTable {
  id: string;
  at: string;
  account_id: string;
  organisation_id: string;
  account_email: string;
  account_name: string;
  channel: RecoveryChannel;
  agent_id: string | null;
  agent_email: string | null;
  agent_name: string | null;
  agent_organisation_id: string | null;
  agent_organisation_name: string | null;
  verification_id: string;
  /** Failed verifications of the account in the 24 hours before the reset. */
  failed_before: number;
  second_factor: 'totp' | 'sms' | 'none';
  delivery: 'shown' | 'sms';
  ticket: string | null;
  privileged: number;
  high_risk: number;
}

/** An LA's recorded review of the resets in their organisation over a period. */
export interface ResetReviewTable {
  id: string;
  organisation_id: string;
  reviewer_id: string;
  reviewer_email: string;
  period_from: string;
  period_to: string;
  notes: string;
  resets: number;
  flagged: number;
  created_at: string;
}

export interface RecoveryTables {
  security_questions: SecurityQuestionTable;
  recovery_challenges: RecoveryChallengeTable;
  recovery_verifications: RecoveryVerificationTable;
  recovery_throttle: RecoveryThrottleTable;
  recovery_self_service: RecoverySelfServiceTable;
  password_resets: PasswordResetTable;
  reset_reviews: ResetReviewTable;
}

declare module '../platform/db/schema.js' {
  interface Database extends RecoveryTables {}
}
