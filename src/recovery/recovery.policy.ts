import { isPrivileged, type RoleGrant } from '../directory/directory.js';
import { authorizeRecord, laOrganisations, type ManagedAccount, type OrgScope, scopeIsEmpty } from '../directory/directory.policy.js';
import type { Actor } from '../platform/context.js';
import { Forbidden } from '../platform/errors/errors.js';

/**
 * Who may verify callers and reset passwords, and who may review resets. Organisation
 * first: an account or organisation outside the actor's scope is NotFound, exactly like
 * one that does not exist.
 *
 * | actor               | verify + reset console                          | reset review (read)   | record a review |
 * |---------------------|-------------------------------------------------|-----------------------|-----------------|
 * | helpdesk agent      | ordinary accounts and LAs, every organisation   | –                     | –               |
 * | local administrator | ordinary accounts of their organisations        | their organisations   | their organisations |
 * | platform admin      | every account (the only way for admin accounts) | every organisation    | –               |
 *
 * Nobody verifies or resets their own account in the console. An LA never reaches an
 * account with a privileged role; the helpdesk never reaches helpdesk, CSOC or platform
 * admin accounts (those go to platform admins).
 */

const NONE: OrgScope = { all: false, organisationIds: [] };

function has(actor: Actor, role: string): boolean {
  return actor.roles.some((g) => g.role === role);
}

/** Organisations whose accounts the actor may verify and reset. */
export function consoleScope(actor: Actor): OrgScope {
  if (has(actor, 'helpdesk') || has(actor, 'platform-admin')) return { all: true };
  const orgs = laOrganisations(actor);
  return orgs.length ? { all: false, organisationIds: orgs } : NONE;
}

/**
 * Whether the console is one of the actor's everyday tools (the navigation): the helpdesk
 * and LAs. Platform admins reach it from the account page of an administrative account.
 */
export function canUseConsole(actor: Actor): boolean {
  return has(actor, 'helpdesk') || laOrganisations(actor).length > 0;
}

/** Whether the actor may verify and reset this account in the console (to show the link). */
export function canVerifyAccount(actor: Actor, account: ManagedAccount): boolean {
  return account.id !== actor.accountId && mayVerifyRoles(actor, account.organisationId, account.roles)
    && (has(actor, 'helpdesk') || has(actor, 'platform-admin') || laOrganisations(actor).includes(account.organisationId));
}

/**
 * Allows the console for one account. Nobody verifies or resets their own account here
 * (self-service is for that). @throws Forbidden (no console at all, or own account),
 * NotFound (account outside scope)
 */
export function authorizeConsole(actor: Actor, account: ManagedAccount): OrgScope {
  const scope = consoleScope(actor);
  if (scopeIsEmpty(scope)) throw new Forbidden();
  authorizeRecord(scope, account.organisationId);
  if (account.id === actor.accountId) throw new Forbidden('You cannot verify or reset your own account. Use "Forgotten your password?" on the sign-in page.');
  if (!mayVerifyRoles(actor, account.organisationId, account.roles)) {
    throw new Forbidden('This account has an administrative role, so it can only be verified and reset by a platform administrator. Refer the caller to the platform helpdesk\'s escalation route.');
  }
  return scope;
}

/**
 * Whether the actor's roles reach an account with these roles: platform admins any; the
 * helpdesk ordinary accounts and LAs; an LA of the organisation ordinary accounts only.
 */
export function mayVerifyRoles(actor: Actor, organisationId: string, roles: readonly RoleGrant[]): boolean {
  if (has(actor, 'platform-admin')) return true;
  if (has(actor, 'helpdesk')) return !roles.some((g) => g.role === 'helpdesk' || g.role === 'csoc' || g.role === 'platform-admin');
  return laOrganisations(actor).includes(organisationId) && !isPrivileged(roles);
}

/** Allows searching the console. @throws Forbidden when the actor has no console */
export function authorizeConsoleSearch(actor: Actor): OrgScope {
  const scope = consoleScope(actor);
  if (scopeIsEmpty(scope)) throw new Forbidden();
  return scope;
}

/**
 * How a reset by this actor is recorded: 'la' for an LA of the account's organisation,
 * else 'helpdesk' (a platform admin verifying an administrative account included: the
 * review shows the agent by name).
 */
export function channelFor(actor: Actor, organisationId: string): 'la' | 'helpdesk' {
  return laOrganisations(actor).includes(organisationId) ? 'la' : 'helpdesk';
}

/** Organisations whose resets the actor may review. */
export function reviewReadScope(actor: Actor): OrgScope {
  if (has(actor, 'platform-admin')) return { all: true };
  const orgs = laOrganisations(actor);
  return orgs.length ? { all: false, organisationIds: orgs } : NONE;
}

export function canReviewResets(actor: Actor): boolean {
  return !scopeIsEmpty(reviewReadScope(actor));
}

/** @throws Forbidden (no review at all), NotFound (organisation outside scope) */
export function authorizeReviewRead(actor: Actor, organisationId: string): void {
  const scope = reviewReadScope(actor);
  if (scopeIsEmpty(scope)) throw new Forbidden();
  authorizeRecord(scope, organisationId);
}

/** Only an LA of the organisation signs off its review. @throws Forbidden, NotFound */
export function authorizeReviewRecord(actor: Actor, organisationId: string): void {
  authorizeReviewRead(actor, organisationId);
  if (!laOrganisations(actor).includes(organisationId)) throw new Forbidden('Only a Local Administrator of the organisation can record its review.');
}

/** Whether the actor may record a review for this organisation (to show the form). */
export function canRecordReview(actor: Actor, organisationId: string): boolean {
  return laOrganisations(actor).includes(organisationId);
}
