/**
 * Sign-in lockout, pure: 10 consecutive failures lock the account for 1 minute, each
 * further lock doubles up to 30 minutes; a success resets everything. The same wrong
 * password twice in a row counts once (a user retrying an old password, a client with a
 * stale saved password). Never a permanent lock: the worst case is 30 minutes.
 */

export const FAILURES_BEFORE_LOCK = 10;
export const FIRST_LOCK_MS = 60_000;
export const MAX_LOCK_MS = 30 * 60_000;

export interface ThrottleState {
  failures: number;
  lockouts: number;
  lockedUntil: string | null;
  lastFailureMac: string | null;
}

export const FRESH: ThrottleState = { failures: 0, lockouts: 0, lockedUntil: null, lastFailureMac: null };

export function isLocked(s: ThrottleState, now: Date): boolean {
  return s.lockedUntil !== null && now.getTime() < Date.parse(s.lockedUntil);
}

/** Length of the n-th lock (n ≥ 1): 1, 2, 4, 8, 16, 30, 30 … minutes. */
export function lockDuration(n: number): number {
  return Math.min(FIRST_LOCK_MS * 2 ** Math.min(n - 1, 20), MAX_LOCK_MS);
}

/**
 * The state after a failed attempt. `mac` identifies the wrong secret (a keyed hash of
 * the password typed), or null for failures that always count (a wrong code).
 */
export function afterFailure(s: ThrottleState, mac: string | null, now: Date): ThrottleState {
  if (isLocked(s, now)) return s;
  if (mac !== null && mac === s.lastFailureMac) return s;
  const failures = s.failures + 1;
  if (failures < FAILURES_BEFORE_LOCK) return { ...s, failures, lastFailureMac: mac ?? s.lastFailureMac };
  const lockouts = s.lockouts + 1;
  return { failures: 0, lockouts, lockedUntil: new Date(now.getTime() + lockDuration(lockouts)).toISOString(), lastFailureMac: null };
}

export function afterSuccess(): ThrottleState {
  return FRESH;
}
