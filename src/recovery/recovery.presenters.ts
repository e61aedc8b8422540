import type { ConsoleAccountView } from './console.commands.js';
import type { VerificationView } from './second-factor.commands.js';

/** How the console pages put what the commands return into words. Pure: no database, no clock. */

/** The time of day in words for messages ("14:05 UTC"). */
export function clockTime(iso: string): string {
  return `${iso.slice(11, 16)} UTC`;
}

const SECOND_CHECK_TEXT = { totp: 'a code from their authenticator app', sms: 'a code sent by text message' } as const;

/** The console page of one account, in words: the lock's end and which second check the caller faces. */
export function presentConsoleAccount(v: ConsoleAccountView): { v: ConsoleAccountView; lockedText: string; secondCheck: string } {
  const checks = v.secondFactorOptions.map((o) => SECOND_CHECK_TEXT[o]);
  return {
    v, lockedText: v.lockedUntil ? clockTime(v.lockedUntil) : '',
    secondCheck: v.referral ? '–' : checks.length ? `Required: ${checks.join(' or ')}` : 'Not required (no MFA, no UK mobile, no administrative role)',
  };
}

/** The verification page, in words: when the verification expires. */
export function presentVerification(view: VerificationView): { view: VerificationView; expiresText: string } {
  return { view, expiresText: clockTime(view.verification.expiresAt) };
}
