import type { Actor } from '../platform/context.js';
import { Forbidden, NotFound } from '../platform/errors/errors.js';
import { isPrivileged, type Role, type RoleGrant } from './directory.js';

/**
 * Who may see and change what in the directory. Every rule checks the organisation
 * first. Commands call these before reading or changing anything; repos receive the
 * resulting scope and filter every query by it.
 */

/** Organisations an actor may read within: all of them, or a fixed list. */
export type OrgScope = { readonly all: true } | { readonly all: false; readonly organisationIds: readonly string[] };

const NONE: OrgScope = { all: false, organisationIds: [] };

function has(actor: Actor, ...roles: Role[]): boolean {
  return actor.roles.some((g) => roles.includes(g.role));
}

/** Organisations this actor administers as a Local Administrator. */
export function laOrganisations(actor: Actor): string[] {
  return [...new Set(actor.roles.filter((g) => g.role === 'local-admin').map((g) => g.scope))];
}

/** Whose accounts an actor may look up: the platform roles see all, LAs their organisations. */
export function accountReadScope(actor: Actor): OrgScope {
  if (has(actor, 'platform-admin', 'csoc', 'helpdesk')) return { all: true };
  const orgs = laOrganisations(actor);
  return orgs.length ? { all: false, organisationIds: orgs } : NONE;
}

/** Whose accounts an actor may change: platform admins all, LAs their organisations. */
export function accountManageScope(actor: Actor): OrgScope {
  if (has(actor, 'platform-admin')) return { all: true };
  const orgs = laOrganisations(actor);
  return orgs.length ? { all: false, organisationIds: orgs } : NONE;
}

/** An account as the management rule sees it: where it lives and what roles it holds. */
export interface ManagedAccount {
  readonly id: string;
  readonly organisationId: string;
  readonly roles: readonly RoleGrant[];
}

export const PRIVILEGED_TARGET_MESSAGE =
  'This account has an administrative role, so only a platform administrator can change it, reset it or sign it out. Ask the platform helpdesk.';

/**
 * Whether the actor may change this account, reset it, change its mobile or MFA, or sign
 * it out: platform admins any account; LAs ordinary accounts of their organisations only
 * (an account with any privileged role is a platform admin's to manage, so an LA cannot
 * take over a colleague or a platform admin whose home organisation is theirs).
 */
export function canManageAccount(actor: Actor, target: ManagedAccount): boolean {
  if (!inScope(accountManageScope(actor), target.organisationId)) return false;
  return has(actor, 'platform-admin') || !isPrivileged(target.roles);
}

/** Why an actor who manages the account's organisation may not manage this account (to show read-only pages); null otherwise. */
export function whyReadOnly(actor: Actor, target: ManagedAccount): string | null {
  return inScope(accountManageScope(actor), target.organisationId) && !canManageAccount(actor, target) ? PRIVILEGED_TARGET_MESSAGE : null;
}

/**
 * The management rule as a guard. @throws NotFound outside the actor's read scope (like a
 * missing account), Forbidden when readable but not manageable (another organisation's
 * for the helpdesk/CSOC, or a privileged account for an LA, with the reason)
 */
export function authorizeManageAccount(actor: Actor, target: ManagedAccount): void {
  if (!inScope(accountReadScope(actor), target.organisationId)) throw new NotFound();
  if (!inScope(accountManageScope(actor), target.organisationId)) throw new Forbidden();
  if (!canManageAccount(actor, target)) throw new Forbidden(PRIVILEGED_TARGET_MESSAGE);
}

/** Organisations an actor may see listed and in detail. */
export function organisationReadScope(actor: Actor): OrgScope {
  return accountReadScope(actor);
}

/** Audit events an actor may read: platform admins and the CSOC all, LAs their organisations'. */
export function auditReadScope(actor: Actor): OrgScope {
  if (has(actor, 'platform-admin', 'csoc')) return { all: true };
  const orgs = laOrganisations(actor);
  return orgs.length ? { all: false, organisationIds: orgs } : NONE;
}

export function inScope(scope: OrgScope, organisationId: string): boolean {
  return scope.all || scope.organisationIds.includes(organisationId);
}

/** True when the scope lets the actor see anything at all. */
export function scopeIsEmpty(scope: OrgScope): boolean {
  return !scope.all && scope.organisationIds.length === 0;
}

/**
 * Throws unless the scope is non-empty. Used for list pages: an actor with no scope gets
 * 403 (they know the page exists), never an empty list that looks like "no data".
 * @throws Forbidden
 */
export function authorizeList(scope: OrgScope): void {
  if (scopeIsEmpty(scope)) throw new Forbidden();
}

/**
 * Throws NotFound (not Forbidden) for a record outside scope, so that an identifier
 * from another organisation looks exactly like one that does not exist.
 * @throws NotFound
 */
export function authorizeRecord(scope: OrgScope, organisationId: string): void {
  if (!inScope(scope, organisationId)) throw new NotFound();
}

/** Only platform admins import directories, create admins and issue tokens for others. */
export function authorizePlatformAdmin(actor: Actor | null): void {
  if (actor === null) return; // the CLI operator has the machine
  if (!has(actor, 'platform-admin')) throw new Forbidden();
}
