import type { Db } from '../platform/db/db.js';
import type { SigninEventRow } from './history.js';

/** SQL for sign-in history and devices (sessions themselves live in signin.repo.ts). */

/**
 * Sign-in events of one account with `from <= at < to`, newest first, at most `limit`.
 * Timestamps are ISO-8601 UTC strings, so text comparison is time order on both databases.
 */
export async function listSigninEvents(
  db: Db, accountId: string, range: { from: string; to: string }, opts: { limit: number; successOnly?: boolean },
): Promise<SigninEventRow[]> {
  let q = db
    .selectFrom('signin_events')
    .select(['id', 'at', 'step', 'outcome', 'ip', 'user_agent', 'device_id'])
    .where('account_id', '=', accountId)
    .where('at', '>=', range.from)
    .where('at', '<', range.to);
  if (opts.successOnly) q = q.where('outcome', '=', 'success');
  const rows = await q.orderBy('at', 'desc').orderBy('id').limit(opts.limit).execute();
  return rows.map((r) => ({ id: r.id, at: r.at, step: r.step, outcome: r.outcome, ip: r.ip, userAgent: r.user_agent, deviceId: r.device_id }));
}
