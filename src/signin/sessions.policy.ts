import { authorizeManageAccount, inScope, laOrganisations, type ManagedAccount, type OrgScope } from '../directory/directory.policy.js';
import type { Actor } from '../platform/context.js';

/**
 * Who may see another account's sign-in history and end its sessions. Organisation first:
 * an account outside the actor's read scope is NotFound, exactly like one that does not
 * exist. Users see and end their own sessions on /security/sessions, not through these.
 */

/**
 * Whose sign-in history (devices, IPs) an actor may read: platform admins and the CSOC
 * everywhere, LAs their organisations. The helpdesk may not: resetting a password does not
 * need to know where someone signs in from.
 */
export function signinHistoryReadScope(actor: Actor): OrgScope {
  if (actor.roles.some((g) => g.role === 'platform-admin' || g.role === 'csoc')) return { all: true };
  return { all: false, organisationIds: laOrganisations(actor) };
}

/** Whether the actor may read this organisation's accounts' sign-in history. */
export function canReadSigninHistory(actor: Actor, organisationId: string): boolean {
  return inScope(signinHistoryReadScope(actor), organisationId);
}

/**
 * Ending every session and API token of an account: the people who may change the account
 * (LAs for ordinary accounts of their organisations, platform admins any).
 * @throws NotFound when the account is outside the actor's read scope; Forbidden when the
 *   actor may see it but not manage it (helpdesk, CSOC, an LA for a privileged account)
 */
export function authorizeRevokeAccountSessions(actor: Actor, account: ManagedAccount): void {
  authorizeManageAccount(actor, account);
}
