import { authorizeRecord, laOrganisations, type OrgScope, scopeIsEmpty } from '../directory/directory.policy.js';
import type { Actor } from '../platform/context.js';
import { Forbidden } from '../platform/errors/errors.js';

/**
 * Who may do what with compromised accounts. Organisation first: a case of another
 * organisation is NotFound, exactly like one that does not exist.
 *
 * | actor | mark, review suspicions | read and work cases |
 * |---|---|---|
 * | platform admin, CSOC | yes | every organisation |
 * | local administrator | no | their organisations |
 * | helpdesk, user | no | no |
 */

function has(actor: Actor, ...roles: string[]): boolean {
  return actor.roles.some((g) => roles.includes(g.role));
}

/** Whether the actor may mark accounts compromised and review suspicions (the CLI operator may). */
export function canMarkCompromised(actor: Actor | null): boolean {
  return actor === null || has(actor, 'platform-admin', 'csoc');
}

/** @throws Forbidden unless platform admin, CSOC analyst or the CLI operator */
export function authorizeMark(actor: Actor | null): void {
  if (!canMarkCompromised(actor)) throw new Forbidden();
}

/** Organisations whose cases the actor may read and work: CSOC and platform admins all, LAs their own. */
export function caseScope(actor: Actor | null): OrgScope {
  if (actor === null || has(actor, 'platform-admin', 'csoc')) return { all: true };
  return { all: false, organisationIds: laOrganisations(actor) };
}

/** Whether the actor may open the cases list at all (for the navigation). */
export function canViewCases(actor: Actor): boolean {
  return !scopeIsEmpty(caseScope(actor));
}

/** @throws Forbidden when the actor may see no cases at all */
export function authorizeCaseList(actor: Actor | null): OrgScope {
  const scope = caseScope(actor);
  if (scopeIsEmpty(scope)) throw new Forbidden();
  return scope;
}

/**
 * Reading or working one case (recording scans, closing): the case's organisation must be
 * in scope. @throws NotFound outside scope (and for actors with no scope at all)
 */
export function authorizeCase(actor: Actor | null, organisationId: string): void {
  authorizeRecord(caseScope(actor), organisationId);
}
