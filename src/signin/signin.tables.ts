import type { Generated } from 'kysely';

// Times are ISO-8601 UTC text and booleans 0/1 in both databases (see platform/db/schema.ts).

export interface SessionTable {
  /** SHA-256 (hex) of the cookie token: the token itself is never stored. */
  id: string;
  account_id: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  ip: string;
  user_agent: string;
  revoked_at: string | null;
  /** 'mfa' (factor to pass), 'enrol' (must enrol first) or 'full'. */
  stage: Generated<'mfa' | 'enrol' | 'full'>;
  device_id: string | null;
  mfa_at: string | null;
  /** Pending WebAuthn challenge (base64url) and its expiry. */
  challenge: string | null;
  challenge_expires_at: string | null;
  /** Fingerprint of the account's roles when the id was issued: a change renews the session. */
  privileges: string | null;
}

export interface SigninEventTable {
  id: string;
  account_id: string | null;
  organisation_id: string | null;
  at: string;
  step: 'password' | 'totp' | 'webauthn' | 'recovery';
  outcome: 'success' | 'failure' | 'locked';
  ip: string;
  user_agent: string;
  device_id: string | null;
}

export interface SigninThrottleTable {
  account_id: string;
  failures: number;
  lockouts: number;
  locked_until: string | null;
  /** Keyed MAC of the last wrong password: the same wrong password again is not counted. */
  last_failure_mac: string | null;
  updated_at: string;
}

export interface ApiTokenTable {
  id: string;
  account_id: string;
  name: string;
  token_hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  /** 1: minted for automation, works although the account must use MFA and has no factor. */
  allow_without_mfa: number;
}

/** Sessions, API tokens, sign-in history and lockout. */
export interface SigninTables {
  sessions: SessionTable;
  api_tokens: ApiTokenTable;
  signin_events: SigninEventTable;
  signin_throttle: SigninThrottleTable;
}

declare module '../platform/db/schema.js' {
  interface Database extends SigninTables {}
}
