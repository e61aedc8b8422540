import { Secret, TOTP } from 'otpauth';
import { isHighRiskArea, isPrivileged, type RoleGrant } from '../directory/directory.js';

/**
 * Pure MFA rules: who must use MFA, and TOTP codes (RFC 6238: SHA-1, 6 digits, 30 s,
 * ±1 step, no replay).
 */

export type MfaReason = 'high-risk-area' | 'privileged-role' | 'compromised' | 'marked';

export const MFA_REASON_TEXT: Record<MfaReason, string> = {
  'high-risk-area': 'works in a business area your organisation marks high-risk',
  'privileged-role': 'has an administrative role',
  compromised: 'was identified as compromised',
  marked: 'was marked as requiring MFA by an administrator',
};

export interface MfaSubject {
  businessArea: string;
  highRiskAreas: readonly string[];
  roles: readonly RoleGrant[];
  mfaRequired: boolean;
  compromisedAt: string | null;
}

/** Whether an account must use MFA, and every reason why (empty when it need not). */
export function mfaReasons(s: MfaSubject): MfaReason[] {
  const reasons: MfaReason[] = [];
  if (isHighRiskArea(s.businessArea, s.highRiskAreas)) reasons.push('high-risk-area');
  if (isPrivileged(s.roles)) reasons.push('privileged-role');
  if (s.compromisedAt) reasons.push('compromised');
  if (s.mfaRequired) reasons.push('marked');
  return reasons;
}

export const TOTP_PERIOD = 30;
export const TOTP_DIGITS = 6;
export const TOTP_WINDOW = 1;

/** A new random TOTP secret (160 bits, base32, as authenticator apps expect). */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totp(secretBase32: string, label = '', issuer = ''): TOTP {
  return new TOTP({ issuer, label, algorithm: 'SHA1', digits: TOTP_DIGITS, period: TOTP_PERIOD, secret: Secret.fromBase32(secretBase32) });
}

/** The otpauth:// URI an authenticator app scans. */
export function totpUri(secretBase32: string, accountEmail: string, issuer: string): string {
  return totp(secretBase32, accountEmail, issuer).toString();
}

/** The current code (for tests and the benchmark; the app never shows it). */
export function totpCode(secretBase32: string, now: Date): string {
  return totp(secretBase32).generate({ timestamp: now.getTime() });
}

/**
 * Checks a code against the secret at `now` (±1 step). Returns the time step it matched,
 * or null when it is wrong or is a replay (its step is not after `lastStep`).
 */
export function checkTotp(secretBase32: string, code: string, now: Date, lastStep: number | null): number | null {
  const clean = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(clean)) return null;
  const delta = totp(secretBase32).validate({ token: clean, timestamp: now.getTime(), window: TOTP_WINDOW });
  if (delta === null) return null;
  const step = Math.floor(now.getTime() / 1000 / TOTP_PERIOD) + delta;
  if (lastStep !== null && step <= lastStep) return null;
  return step;
}

/** Ten single-use recovery codes, `xxxx-xxxx-xxxx` from an unambiguous alphabet (~62 bits each). */
export function newRecoveryCodes(random: (n: number) => Buffer): string[] {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  return Array.from({ length: 10 }, () => {
    const bytes = random(12);
    const chars = [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
    return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`;
  });
}

/** Recovery codes compare without case, spaces or dashes. */
export function normaliseRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[^a-z0-9]/g, '');
}
