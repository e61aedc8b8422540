import type { Generated } from 'kysely';

// Times are ISO-8601 UTC text and booleans 0/1 in both databases (see platform/db/schema.ts).

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

/** Organisations, their mail domains, accounts and their roles. */
export interface DirectoryTables {
  organisations: OrganisationTable;
  organisation_domains: OrganisationDomainTable;
  accounts: AccountTable;
  account_roles: AccountRoleTable;
}

declare module '../platform/db/schema.js' {
  interface Database extends DirectoryTables {}
}
