import { laOrganisations, type OrgScope } from '../directory/directory.policy.js';
import type { Actor } from '../platform/context.js';
import { Forbidden } from '../platform/errors/errors.js';

/**
 * Who sees which notifications. Everyone sees what was sent to their own account; Local
 * Administrators also see notifications about their organisations; only platform admins
 * (and the CLI operator) see the whole outbox with its failures and may retry.
 */

/** Organisations whose notifications an actor may list (beyond their own). */
export function notificationOrgScope(actor: Actor): OrgScope {
  return { all: false, organisationIds: laOrganisations(actor) };
}

export function canViewOutbox(actor: Actor | null): boolean {
  return actor === null || actor.roles.some((g) => g.role === 'platform-admin');
}

/** @throws Forbidden unless a platform admin or the CLI operator */
export function authorizeOutbox(actor: Actor | null): void {
  if (!canViewOutbox(actor)) throw new Forbidden();
}
