import { accountManageScope, accountReadScope, authorizeRecord, inScope, scopeIsEmpty, type OrgScope } from '../directory/directory.policy.js';
import type { Actor } from '../platform/context.js';
import { Forbidden } from '../platform/errors/errors.js';

/**
 * Who may see MFA coverage and require MFA. Coverage is read by LAs for their
 * organisations and by the platform roles (admin, CSOC, helpdesk) everywhere; requiring
 * MFA changes security state, so only LAs (their organisations) and platform admins.
 * Organisation first: an organisation outside scope is NotFound, like one that does not exist.
 */

/** Organisations whose coverage the actor may see. */
export function coverageReadScope(actor: Actor): OrgScope {
  return accountReadScope(actor);
}

/** Organisations in which the actor may require MFA (or lift a mark). */
export function coverageManageScope(actor: Actor): OrgScope {
  return accountManageScope(actor);
}

/** Whether the actor may open the coverage page at all (for the navigation). */
export function canViewCoverage(actor: Actor): boolean {
  return !scopeIsEmpty(coverageReadScope(actor));
}

/** Whether the actor may require MFA in this organisation (to show or hide the actions). */
export function canRequireMfa(actor: Actor, organisationId: string): boolean {
  return inScope(coverageManageScope(actor), organisationId);
}

/**
 * Allows reading one organisation's coverage. @throws Forbidden when the actor may see no
 * coverage at all, NotFound when the organisation is outside their scope
 */
export function authorizeCoverageRead(actor: Actor, organisationId: string | undefined): OrgScope {
  const scope = coverageReadScope(actor);
  if (scopeIsEmpty(scope)) throw new Forbidden();
  if (organisationId !== undefined) authorizeRecord(scope, organisationId);
  return scope;
}

/**
 * Allows requiring MFA. With an organisation: in that organisation. @throws Forbidden when
 * the actor may require MFA nowhere, NotFound when the organisation is outside their scope
 */
export function authorizeRequireMfa(actor: Actor, organisationId?: string): OrgScope {
  const scope = coverageManageScope(actor);
  if (scopeIsEmpty(scope)) throw new Forbidden();
  if (organisationId !== undefined) authorizeRecord(scope, organisationId);
  return scope;
}
