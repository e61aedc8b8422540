import { createHash, randomBytes } from 'node:crypto';

/** Pure rules for sessions and API tokens. */

export const SESSION_COOKIE = 'pw_session';
/** Long-lived random device id: sign-in history lists "devices recently used" by it. */
export const DEVICE_COOKIE = 'pw_device';
export const API_TOKEN_PREFIX = 'pwt_';

/** A new random secret for a cookie or token: 32 bytes, base64url. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** What the database stores for a secret: its SHA-256. A database thief cannot use it. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export interface SessionTimes {
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  revokedAt: string | null;
}

/** Whether a session may still be used at `now`, given the idle timeout. */
export function sessionIsLive(s: SessionTimes, now: Date, idleMinutes: number): boolean {
  if (s.revokedAt) return false;
  const t = now.getTime();
  if (t >= Date.parse(s.expiresAt)) return false;
  return t - Date.parse(s.lastSeenAt) < idleMinutes * 60_000;
}

/** Last-seen is written at most once a minute per session, not on every request. */
export function shouldTouch(lastSeenAt: string, now: Date): boolean {
  return now.getTime() - Date.parse(lastSeenAt) >= 60_000;
}

/**
 * A fingerprint of an account's privileges (its roles and their scopes, in any order).
 * A session remembers the one its id was issued under; when they differ, it is renewed.
 */
export function privilegeFingerprint(roles: readonly { role: string; scope: string }[]): string {
  return hashSecret(roles.map((g) => `${g.role}@${g.scope}`).sort().join('\n'));
}
