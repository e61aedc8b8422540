import type { Role } from '../directory/directory.js';
import type { Actor } from '../platform/context.js';
import { Forbidden } from '../platform/errors/errors.js';

/**
 * Bulletins are platform-wide, not organisation data: platform admins write and publish
 * them; Local Administrators (every organisation's) and the platform's own staff read the
 * published ones. Drafts are seen by platform admins only.
 */

const READERS: readonly Role[] = ['local-admin', 'platform-admin', 'helpdesk', 'csoc'];

export function canReadBulletins(actor: Actor | null): boolean {
  return actor !== null && actor.roles.some((g) => READERS.includes(g.role));
}

export function canWriteBulletins(actor: Actor | null): boolean {
  return actor !== null && actor.roles.some((g) => g.role === 'platform-admin');
}

/** @throws Forbidden */
export function authorizeReadBulletins(actor: Actor | null): void {
  if (!canReadBulletins(actor)) throw new Forbidden();
}

/** @throws Forbidden */
export function authorizeWriteBulletins(actor: Actor | null): void {
  if (!canWriteBulletins(actor)) throw new Forbidden();
}
