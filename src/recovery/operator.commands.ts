import { recordAudit } from '../audit/audit.commands.js';
import { normaliseEmail } from '../directory/directory.js';
import { authorizePlatformAdmin } from '../directory/directory.policy.js';
import { findAccountByEmail, findOrganisationByCode } from '../directory/directory.repo.js';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { Invalid, NotFound } from '../platform/errors/errors.js';
import { isVerificationLocked } from './recovery.js';
import { clearVerifyFailures, loadVerifyThrottle, questionsOf, questionsSetAt } from './recovery.repo.js';
import { type FlaggedReset, flagResets, parsePeriod, type Period, parseWorkingHours } from './review.js';
import { listResets } from './review.repo.js';
import { REVIEW_LIMIT } from './review.commands.js';
import type { RecoverySettings } from './verification.commands.js';

/**
 * What the machine's operator (the CLI, actor null) may do: look at an account's
 * recovery state, lift a verification lock, export a reset review. Deliberately no
 * reset: resets exist only behind a passed verification in the console or self-service.
 */

export interface RecoveryStatus {
  email: string;
  questions: string[];
  questionsSetAt: string | null;
  failures: number;
  lockedUntil: string | null;
}

/** @throws NotFound, Forbidden (a non-admin actor) */
export async function recoveryStatus(db: Db, ctx: Ctx, email: string): Promise<RecoveryStatus> {
  authorizePlatformAdmin(ctx.actor);
  const account = await findAccountByEmail(db, normaliseEmail(email));
  if (!account) throw new NotFound(`No account ${normaliseEmail(email)}`);
  const throttle = await loadVerifyThrottle(db, account.id);
  const qs = await questionsOf(db, account.id);
  return {
    email: account.email, questions: qs.map((q) => q.question), questionsSetAt: qs.length ? await questionsSetAt(db, account.id) : null,
    failures: throttle.failures, lockedUntil: isVerificationLocked(throttle, ctx.now) ? throttle.lockedUntil : null,
  };
}

/** Lifts the verification lock of an account and clears its failure count (audited). @throws NotFound, Forbidden */
export async function unlockVerification(db: Db, ctx: Ctx, email: string): Promise<void> {
  authorizePlatformAdmin(ctx.actor);
  const account = await findAccountByEmail(db, normaliseEmail(email));
  if (!account) throw new NotFound(`No account ${normaliseEmail(email)}`);
  await db.transaction().execute(async (trx) => {
    await clearVerifyFailures(trx, account.id, ctx.now.toISOString());
    await recordAudit(trx, ctx, { action: 'recovery.verify.unlock', organisationId: account.organisationId, target: `account:${account.id}` });
  });
}

/** A reset review for the operator (by organisation code). @throws NotFound, Invalid, Forbidden */
export async function operatorResetReview(db: Db, ctx: Ctx, settings: RecoverySettings, q: { organisationCode: string; from?: string; to?: string }): Promise<{ period: Period; rows: FlaggedReset[] }> {
  authorizePlatformAdmin(ctx.actor);
  const org = await findOrganisationByCode(db, q.organisationCode.trim().toUpperCase());
  if (!org) throw new NotFound(`No organisation with code ${q.organisationCode}`);
  const p = parsePeriod(q.from, q.to, ctx.now, settings.recoveryReviewIntervalDays);
  if ('problems' in p) throw new Invalid(p.problems.join(' '));
  const raw = await listResets(db, org.id, p.period.startIso, p.period.endIso, REVIEW_LIMIT);
  await db.transaction().execute((trx) => recordAudit(trx, ctx, { action: 'recovery.review.export', organisationId: org.id, target: `organisation:${org.id}`, details: { from: p.period.from, to: p.period.to, rows: raw.length } }));
  return {
    period: p.period,
    rows: flagResets(raw, { workingHours: parseWorkingHours(settings.recoveryWorkingHours, settings.recoveryTimeZone), unusualPerDay: settings.recoveryUnusualVolumePerDay }),
  };
}
