/**
 * Directory types and pure rules: organisations, accounts, roles. No I/O here.
 */

export const ROLES = ['user', 'local-admin', 'helpdesk', 'csoc', 'platform-admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Roles that always require MFA, are never reset on questions alone, and are managed only
 * by platform admins (never by a Local Administrator).
 */
export const PRIVILEGED_ROLES: readonly Role[] = ['local-admin', 'helpdesk', 'csoc', 'platform-admin'];

/** Whether an account holding these grants is privileged: the one home of that rule. */
export function isPrivileged(grants: readonly RoleGrant[]): boolean {
  return grants.some((g) => PRIVILEGED_ROLES.includes(g.role));
}

export const ROLE_LABELS: Record<Role, string> = {
  user: 'User',
  'local-admin': 'Local Administrator',
  helpdesk: 'Helpdesk agent',
  csoc: 'CSOC analyst',
  'platform-admin': 'Platform administrator',
};

/** A role held by an account. `scope` is an organisation id for local-admin, '*' otherwise. */
export interface RoleGrant {
  role: Role;
  scope: string;
}

// The platform knows roles and the signed-in account only by these names (context.ts, http/types.ts).
declare module '../platform/context.js' {
  interface RoleNames extends Record<Role, true> {}
}
declare module '../platform/http/types.js' {
  interface SignedInAccount extends Account {}
}

export const ACCOUNT_STATUSES = ['active', 'disabled', 'locked'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

export const DEFAULT_HIGH_RISK_AREAS = ['Finance', 'HR'];

/** Area names compare trimmed and without case ("finance" is Finance). */
export function areaKey(area: string): string {
  return area.trim().toLowerCase();
}

/** Whether `area` is in an organisation's high-risk list: the one home of that comparison (sign-in, coverage, reset review). */
export function isHighRiskArea(area: string, highRiskAreas: readonly string[]): boolean {
  const k = areaKey(area);
  return k !== '' && highRiskAreas.some((a) => areaKey(a) === k);
}

export interface Organisation {
  id: string;
  code: string;
  name: string;
  domains: string[];
  highRiskAreas: string[];
  laContact: string;
  createdAt: string;
  updatedAt: string;
}

export interface Account {
  id: string;
  organisationId: string;
  email: string;
  displayName: string;
  businessArea: string;
  status: AccountStatus;
  statusReason: string | null;
  mobile: string | null;
  passwordChangedAt: string | null;
  mustChangePassword: boolean;
  /** Marked individually as requiring MFA. */
  mfaRequired: boolean;
  /** When the account was flagged compromised; null when it is not. */
  compromisedAt: string | null;
  /** When the mobile number was last added or changed; null when not recorded. */
  mobileChangedAt: string | null;
  /** Whether that change was made by the account itself after passing MFA. */
  mobileChangeVerified: boolean;
  createdAt: string;
  updatedAt: string;
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Lower-cased, trimmed address. Addresses compare case-insensitively throughout. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

const EMAIL = /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const DOMAIN = /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export function isValidEmail(email: string): boolean {
  return email.length <= 254 && EMAIL.test(email);
}

export function isValidDomain(domain: string): boolean {
  return domain.length <= 253 && DOMAIN.test(domain);
}

/** The domain part of a normalised address. */
export function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1);
}

/** The role to record in the audit trail for an actor: their most privileged one. */
export function primaryRole(grants: readonly RoleGrant[]): Role {
  for (const r of ['platform-admin', 'csoc', 'helpdesk', 'local-admin'] as const) {
    if (grants.some((g) => g.role === r)) return r;
  }
  return 'user';
}

/** Grants an account gets from a CSV roles list: local-admin is scoped to its own organisation. */
export function grantsFor(roles: readonly Role[], organisationId: string): RoleGrant[] {
  const unique = [...new Set(roles.length ? roles : (['user'] as Role[]))];
  return unique.map((role) => ({ role, scope: role === 'local-admin' ? organisationId : '*' }));
}
