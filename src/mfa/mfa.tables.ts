// Times are ISO-8601 UTC text and booleans 0/1 in both databases (see platform/db/schema.ts).

export interface MfaFactorTable {
  id: string;
  account_id: string;
  kind: 'totp' | 'webauthn';
  name: string;
  /** 'pending' until enrolment is confirmed with a valid code or attestation. */
  status: 'pending' | 'active';
  /** TOTP secret, AES-256-GCM with a key derived from the configured secret key. */
  secret_enc: string | null;
  /** Last TOTP time step accepted: a code for this step or earlier is a replay. */
  last_step: number | null;
  credential_id: string | null;
  public_key: string | null;
  sign_count: number | null;
  transports: string | null;
  created_at: string;
  last_used_at: string | null;
}

export interface RecoveryCodeTable {
  id: string;
  account_id: string;
  /** HMAC-SHA256 with a key derived from the secret key. */
  code_hash: string;
  created_at: string;
  used_at: string | null;
}

/** Second factors and recovery codes. */
export interface MfaTables {
  mfa_factors: MfaFactorTable;
  recovery_codes: RecoveryCodeTable;
}

declare module '../platform/db/schema.js' {
  interface Database extends MfaTables {}
}
