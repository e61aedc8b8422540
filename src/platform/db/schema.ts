import type { Generated } from 'kysely';
import type { BulletinsTables } from '../../bulletins/bulletins.tables.js';
import type { CompromiseTables } from '../../compromise/compromise.tables.js';
import type { GatewayTables } from '../../gateway/gateway.tables.js';
import type { MailtipsTables } from '../../mailtips/mailtips.tables.js';
import type { PhonesTables } from '../../phones/phones.tables.js';
import type { RecoveryTables } from '../../recovery/recovery.tables.js';
import type { RemindersTables } from '../../reminders/reminders.tables.js';
import type { ReportsTables } from '../../reports/reports.tables.js';
import type { NotifyTables } from '../notify/notify.tables.js';

/**
 * Table types as the application sees them. Times are ISO-8601 UTC strings
 * (`2026-01-01T09:00:00.000Z`): they sort correctly as text in both databases.
 * Booleans are 0/1 integers in both databases.
 */
export interface OrganisationTable {
  id: string;
  code: string;
  name: string;
  /** JSON array of business-area names marked high-risk. */
  high_risk_areas: string;
  la_contact: string;
  created_at: string;
  updated_at: string;
}

export interface OrganisationDomainTable {
  domain: string;
  organisation_id: string;
}

export interface AccountTable {
  id: string;
  organisation_id: string;
  email: string;
  display_name: string;
  business_area: string;
  status: 'active' | 'disabled' | 'locked';
  status_reason: string | null;
  mobile: string | null;
  password_hash: string | null;
  password_changed_at: string | null;
  must_change_password: number;
  /** 1 when an LA or admin marked this account as requiring MFA. */
  mfa_required: Generated<number>;
  /** Set while the account is flagged compromised (MFA then required). */
  compromised_at: string | null;
  /** When the mobile number was last added or changed (null: before this was recorded). */
  mobile_changed_at: Generated<string | null>;
  /** 1 when that change was made by the account itself after passing MFA. */
  mobile_change_verified: Generated<number>;
  created_at: string;
  updated_at: string;
}

export interface AccountRoleTable {
  account_id: string;
  role: string;
  /** Organisation id for a local-admin role; '*' for platform-wide roles. */
  scope: string;
}

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

export interface AuditEventTable {
  seq: number;
  at: string;
  actor_id: string | null;
  actor_email: string | null;
  actor_role: string | null;
  organisation_id: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  request_id: string | null;
  outcome: 'success' | 'failure' | 'denied';
  details: string;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export interface AppStateTable {
  key: string;
  value: string;
}

/** Every table: the foundation's below, each capability's from its own `*.tables.ts`. */
export interface Database
  extends NotifyTables, BulletinsTables, RemindersTables, GatewayTables, MailtipsTables, RecoveryTables, PhonesTables, CompromiseTables, ReportsTables {
  organisations: OrganisationTable;
  organisation_domains: OrganisationDomainTable;
  accounts: AccountTable;
  account_roles: AccountRoleTable;
  sessions: SessionTable;
  api_tokens: ApiTokenTable;
  audit_events: AuditEventTable;
  audit_head: AuditHeadTable;
  app_state: AppStateTable;
  mfa_factors: MfaFactorTable;
  recovery_codes: RecoveryCodeTable;
  signin_events: SigninEventTable;
  signin_throttle: SigninThrottleTable;
}

