/** Pure rules of the outbox: retry schedule and error scrubbing. No I/O. */

/** The longest wait between two attempts. */
export const MAX_RETRY_MS = 3_600_000;

/** How long a claimed row is reserved for the node that claimed it (well above any send timeout). */
export const LEASE_MS = 5 * 60_000;

/**
 * Delay before the next attempt after `attempts` failed ones (1, 2, …): base, 2×base,
 * 4×base, … capped at an hour. Deterministic, so the schedule is testable.
 */
export function retryDelayMs(attempts: number, baseSeconds: number): number {
  const n = Math.max(1, Math.floor(attempts));
  return Math.min(MAX_RETRY_MS, baseSeconds * 1000 * 2 ** Math.min(n - 1, 30));
}

/** What happens to a row after a failed attempt. */
export function afterFailure(attempts: number, maxAttempts: number, now: Date, baseSeconds: number): { status: 'pending' | 'failed'; nextAttemptAt: string } {
  if (attempts >= maxAttempts) return { status: 'failed', nextAttemptAt: now.toISOString() };
  return { status: 'pending', nextAttemptAt: new Date(now.getTime() + retryDelayMs(attempts, baseSeconds)).toISOString() };
}

function secretsIn(data: unknown, out: string[] = []): string[] {
  if (typeof data === 'string') {
    if (data.length >= 3) out.push(data);
  } else if (typeof data === 'number') {
    if (String(data).length >= 3) out.push(String(data));
  } else if (data && typeof data === 'object') {
    for (const v of Object.values(data)) secretsIn(v, out);
  }
  return out;
}

/**
 * An error message safe to store in `last_error` and show to platform admins: one line,
 * at most 300 characters, with every value of the template data (which may hold a
 * temporary password or a code) blanked out.
 */
export function scrubError(message: string, data: Record<string, unknown> = {}): string {
  let m = message.replace(/\s+/g, ' ').trim();
  for (const s of secretsIn(data).sort((a, b) => b.length - a.length)) m = m.split(s).join('[redacted]');
  return m.slice(0, 300) || 'unknown error';
}
