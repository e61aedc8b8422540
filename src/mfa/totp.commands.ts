import { decryptSecret, deriveKey } from '../platform/crypto/secrets.js';
import type { Db } from '../platform/db/db.js';
import { checkTotp } from './mfa.js';
import { type Factor, factorsOf, recordTotpStep } from './mfa.repo.js';

/**
 * The one TOTP verifier: sign-in, the reset console and self-service all check
 * authenticator codes here. It owns both replay guards: `checkTotp` refuses a step at or
 * before the factor's last accepted one, and `recordTotpStep` is a conditional UPDATE so
 * that of two requests with the same code at the same moment exactly one wins.
 */

/** The key that encrypts TOTP secrets at rest (HKDF label in one place). */
export function totpSecretKey(secretKey: Buffer): Buffer {
  return deriveKey(secretKey, 'totp-secrets');
}

/**
 * Checks `code` against the account's active authenticator apps and, when one matches,
 * records its time step so the code cannot be used again. @returns the factor that
 * accepted the code, or null (wrong, expired or replayed)
 */
export async function useTotpCode(db: Db, secretKey: Buffer, accountId: string, code: string, now: Date): Promise<Factor | null> {
  const key = totpSecretKey(secretKey);
  for (const f of (await factorsOf(db, accountId)).filter((x) => x.kind === 'totp' && x.secretEnc)) {
    const step = checkTotp(decryptSecret(key, f.secretEnc!), code, now, f.lastStep);
    if (step !== null && (await recordTotpStep(db, f.id, step, now.toISOString()))) return f;
  }
  return null;
}
