import { recordAudit } from '../audit/audit.commands.js';
import { findAccount } from '../directory/directory.repo.js';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { Invalid, NotFound } from '../platform/errors/errors.js';
import { newId } from '../platform/ids.js';
import { insertSuspicion } from './compromise.repo.js';

export interface SuspicionSignal {
  accountId: string;
  /** Which part of the platform raised it, e.g. 'phishing-report'. */
  source: string;
  /** A short, body-free description with a reference (e.g. report id). */
  detail: string;
}

const SOURCE = /^[a-z0-9][a-z0-9-]{0,49}$/;
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Who did something, for the timeline and review columns: the actor's address, or the CLI/system. */
export function actorLabel(ctx: Ctx): string {
  return ctx.actor?.email ?? (ctx.via === 'cli' ? 'cli' : 'system');
}

/**
 * Raises a *suspected* compromise flag on an account for CSOC review (does not lock the
 * account or revoke anything: only CSOC/platform admins mark an account compromised).
 * Idempotent per (account, source, detail): a repeat changes nothing and writes no audit
 * event. Call inside the transaction of the cause; the audit event
 * (`compromise.suspicion.raise`) lands in the same transaction.
 * @throws Invalid for a malformed source (lower-case letters, digits, dashes; ≤ 50) or
 *   detail (1–500 characters, no control characters); NotFound for an unknown account
 */
export async function raiseSuspectedCompromise(trx: Db, ctx: Ctx, signal: SuspicionSignal): Promise<void> {
  const source = signal.source.trim();
  const detail = signal.detail.trim();
  if (!SOURCE.test(source)) throw new Invalid('A suspicion source must be 1–50 lower-case letters, digits or dashes, such as phishing-report.');
  if (!detail || detail.length > 500 || CONTROL.test(detail)) throw new Invalid('A suspicion detail must be 1–500 characters with no control characters.');
  // A system signal, not a person's request: the account is looked up across organisations.
  const account = await findAccount(trx, signal.accountId, { all: true });
  if (!account) throw new NotFound('No such account');
  const id = newId(ctx.now.getTime());
  const inserted = await insertSuspicion(trx, {
    id, account_id: account.id, organisation_id: account.organisationId, source, detail, raised_at: ctx.now.toISOString(),
    status: 'open', reviewed_by: null, reviewed_at: null, review_note: null, case_id: null,
  });
  if (!inserted) return;
  await recordAudit(trx, ctx, {
    action: 'compromise.suspicion.raise', organisationId: account.organisationId, target: `account:${account.id}`, details: { suspicionId: id, source, detail },
  });
}
