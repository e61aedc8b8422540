import { Invalid } from '../platform/errors/errors.js';

/**
 * Pure WebAuthn rules: where the relying party is, how long a challenge lives, when a
 * signature counter means a cloned key, and what a key may be called.
 */

/** A challenge answers one ceremony and lives five minutes. */
export const CHALLENGE_TTL_MS = 5 * 60_000;

export const DEFAULT_KEY_NAME = 'Security key';

export interface RelyingParty {
  /** The RP ID: the host name the credential is bound to. */
  id: string;
  /** The exact origin the browser must report. */
  origin: string;
  name: string;
}

/** The relying party of a portal at `publicUrl` (its host name and origin). */
export function relyingPartyOf(publicUrl: string, serviceName: string): RelyingParty {
  const u = new URL(publicUrl);
  return { id: u.hostname, origin: u.origin, name: serviceName };
}

/** The expiry of a challenge issued at `now`, as stored with the session. */
export function challengeExpiry(now: Date): string {
  return new Date(now.getTime() + CHALLENGE_TTL_MS).toISOString();
}

/** The stored challenge if one is pending and not expired at `now`, else null. */
export function liveChallenge(s: { challenge: string | null; challengeExpiresAt: string | null }, now: Date): string | null {
  if (!s.challenge || !s.challengeExpiresAt) return null;
  return Date.parse(s.challengeExpiresAt) > now.getTime() ? s.challenge : null;
}

/**
 * Whether a signature counter is acceptable after `stored`. Authenticators that do not
 * count always report 0 (fine); once a key counts, each use must report more than the
 * last, else two copies of the key are in use (WebAuthn §6.1.1: a possible clone).
 */
export function signCountAcceptable(stored: number, received: number): boolean {
  if (stored === 0 && received === 0) return true;
  return received > stored;
}

/**
 * A key's display name: trimmed, default when empty. @throws Invalid when longer than
 * 60 characters or containing control characters
 */
export function cleanKeyName(name: string): string {
  const n = name.trim();
  if (n.length > 60 || /[\u0000-\u001f\u007f]/.test(n)) {
    throw new Invalid('The name was not accepted.', ['Give the key a name of 60 characters or fewer.']);
  }
  return n || DEFAULT_KEY_NAME;
}

/**
 * The credential a browser sent, parsed from a form field. Only the shape is checked
 * here; the signature checks belong to @simplewebauthn/server.
 * @throws Invalid when it is not a JSON credential object
 */
export function parseCredentialField(raw: string): { id: string } & Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new Invalid('The security key response was not JSON.', ['Your security key did not answer. Try again.']);
  }
  const o = v as Record<string, unknown> | null;
  if (!o || typeof o !== 'object' || typeof o.id !== 'string' || !/^[A-Za-z0-9_-]{1,1400}$/.test(o.id) || typeof o.response !== 'object' || o.response === null) {
    throw new Invalid('The security key response was malformed.', ['Your security key did not answer. Try again.']);
  }
  return o as { id: string } & Record<string, unknown>;
}
