/**
 * Password expiry: pure rules. A password set at `changedAt` in an organisation whose
 * lifetime is L days expires at changedAt + L days (no expiry when L is null). Reminders
 * go 18, 10, 5, 2 and 1 days before; each once per password. No I/O here.
 */

export const DAY_MS = 86_400_000;

/** Days before expiry at which a reminder is sent, largest first. */
export const REMINDER_DAYS = [18, 10, 5, 2, 1] as const;

export const DEFAULT_LIFETIME_DAYS = 365;
export const MAX_LIFETIME_DAYS = 3650;

/** When a password expires, or null when the organisation has expiry off (or there is no password). */
export function expiryOf(changedAt: string | null, lifetimeDays: number | null): Date | null {
  if (!changedAt || lifetimeDays === null) return null;
  const t = Date.parse(changedAt);
  return Number.isNaN(t) ? null : new Date(t + lifetimeDays * DAY_MS);
}

/** Whether the password has expired at `now` (must be changed at the next sign-in). */
export function isPasswordExpired(changedAt: string | null, lifetimeDays: number | null, now: Date): boolean {
  const e = expiryOf(changedAt, lifetimeDays);
  return e !== null && now.getTime() >= e.getTime();
}

/**
 * The reminder due now: the last mark passed before expiry (e.g. 10 when 9.5 days are
 * left), or null when none is (too early, or already expired). When reminders were not
 * run for a while, only the current mark is sent, never a burst of missed ones.
 */
export function currentMark(now: Date, expiresAt: Date): number | null {
  const left = expiresAt.getTime() - now.getTime();
  if (left <= 0) return null;
  let mark: number | null = null;
  for (const d of REMINDER_DAYS) if (left <= d * DAY_MS) mark = d;
  return mark;
}

/**
 * For lifetime L and the mark at `index` of REMINDER_DAYS: the passwords (by when they
 * were set) for which that mark is the current one at `now`, as (after, upTo] ISO bounds.
 * The reminder job reads exactly these ranges instead of every account.
 */
export function markWindow(now: Date, lifetimeDays: number, index: number): { days: number; after: string; upTo: string } {
  const d = REMINDER_DAYS[index]!;
  const next = REMINDER_DAYS[index + 1] ?? 0;
  const t = now.getTime() - lifetimeDays * DAY_MS;
  return { days: d, after: new Date(t + next * DAY_MS).toISOString(), upTo: new Date(t + d * DAY_MS).toISOString() };
}

/** Whole days left, rounded up (17.2 days → 18), for the wording of a reminder. */
export function daysLeft(now: Date, expiresAt: Date): number {
  return Math.max(1, Math.ceil((expiresAt.getTime() - now.getTime()) / DAY_MS));
}

/** The key that makes each reminder unique: one per account, password, lifetime and mark. */
export function reminderDedupeKey(accountId: string, changedAt: string, lifetimeDays: number, days: number): string {
  return `pwexpiry:${accountId}:${changedAt}:${lifetimeDays}:${days}`;
}

/**
 * Problems with a lifetime typed into a form: whole days from 1 to 3650, or empty for "off".
 * @returns the lifetime (null = off) or the problems
 */
export function parseLifetime(input: string): { lifetimeDays: number | null } | { problems: string[] } {
  const v = input.trim();
  if (v === '' || v.toLowerCase() === 'off') return { lifetimeDays: null };
  if (!/^\d{1,4}$/.test(v)) return { problems: ['Enter the password lifetime as a whole number of days, or leave it empty to turn expiry off.'] };
  const n = Number(v);
  if (n < 1 || n > MAX_LIFETIME_DAYS) return { problems: [`Enter a lifetime from 1 to ${MAX_LIFETIME_DAYS} days.`] };
  return { lifetimeDays: n };
}

/** The template data of a reminder. The only link is the portal's own password-change page. */
export function reminderData(input: { publicUrl: string; email: string; displayName: string; expiresAt: Date; now: Date; reportAddress: string }): Record<string, unknown> {
  return {
    email: input.email,
    displayName: input.displayName,
    daysLeft: daysLeft(input.now, input.expiresAt),
    expiresAt: input.expiresAt.toISOString(),
    changeUrl: `${input.publicUrl}/password/change`,
    reportAddress: input.reportAddress,
  };
}
