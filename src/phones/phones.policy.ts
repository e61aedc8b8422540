import {
  accountManageScope, authorizeManageAccount, authorizePlatformAdmin, type ManagedAccount, type OrgScope, scopeIsEmpty,
} from '../directory/directory.policy.js';
import type { Actor } from '../platform/context.js';
import { Forbidden } from '../platform/errors/errors.js';

/**
 * Who may do what with mobile numbers. Organisation first: an account outside the actor's
 * read scope is NotFound, exactly like one that does not exist.
 *
 * - The sweep (dry run, apply, report): platform admins and the CLI operator.
 * - Changing an account's number and re-enabling an account disabled for its number:
 *   LAs for ordinary accounts of their organisations, platform admins everywhere.
 * - Your own number: everyone, on the profile page.
 */

/** @throws Forbidden unless a platform admin or the CLI operator */
export function authorizeSweep(actor: Actor | null): void {
  authorizePlatformAdmin(actor);
}

export function canRunSweep(actor: Actor): boolean {
  return actor.roles.some((g) => g.role === 'platform-admin');
}

/** Organisations whose accounts' numbers the actor may change (and whose disabled accounts they see). */
export function mobileManageScope(actor: Actor): OrgScope {
  return accountManageScope(actor);
}

/** Whether the actor may open the list of accounts disabled for a non-UK number. */
export function canViewDisabledList(actor: Actor): boolean {
  return !scopeIsEmpty(mobileManageScope(actor));
}

/** @throws Forbidden when the actor manages no organisation */
export function authorizeDisabledList(actor: Actor): OrgScope {
  const scope = mobileManageScope(actor);
  if (scopeIsEmpty(scope)) throw new Forbidden();
  return scope;
}

/**
 * Changing another account's number or re-enabling it: the directory's management rule
 * (LAs ordinary accounts of their organisations, platform admins any).
 * @throws NotFound outside the actor's read scope; Forbidden when readable but not manageable
 */
export function authorizeManageMobile(actor: Actor, account: ManagedAccount): void {
  authorizeManageAccount(actor, account);
}
