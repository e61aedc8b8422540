import type { Actor } from '../platform/context.js';
import { Forbidden, Unauthenticated } from '../platform/errors/errors.js';

/**
 * Who may see and act on the gateway's quarantine: the CSOC and platform admins, across
 * the whole platform (a quarantined message is platform security evidence, not an
 * organisation's record; LAs and users never see it). The CLI operator (actor null) may.
 */

export function canViewQuarantine(actor: Actor | null): boolean {
  return actor === null || actor.roles.some((g) => g.role === 'csoc' || g.role === 'platform-admin');
}

/** @throws Unauthenticated without an actor on a web request, Forbidden for anyone else */
export function authorizeQuarantine(actor: Actor | null, via: string): void {
  if (actor === null && via !== 'cli' && via !== 'system') throw new Unauthenticated();
  if (!canViewQuarantine(actor)) throw new Forbidden();
}
