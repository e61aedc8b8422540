import type { Actor } from '../platform/context.js';
import { Forbidden, NotFound } from '../platform/errors/errors.js';
import type { Role } from './directory.js';

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
