import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';

export interface SuspicionSignal {
  accountId: string;
  /** Which part of the platform raised it, e.g. 'phishing-report'. */
  source: string;
  /** A short, body-free description with a reference (e.g. report id). */
  detail: string;
}

/**
 * Raises a *suspected* compromise flag on an account for CSOC review (does not lock the
 * account or revoke anything: only CSOC/platform admins mark an account compromised).
 * Idempotent per (account, source, detail). Call inside the transaction of the cause.
 */
export async function raiseSuspectedCompromise(trx: Db, ctx: Ctx, signal: SuspicionSignal): Promise<void> {
  void trx; void ctx; void signal;
  throw new Error('raiseSuspectedCompromise: not implemented yet (issue 5)');
}
