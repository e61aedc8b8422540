import { randomInt } from 'node:crypto';
import { recordAudit } from '../audit/audit.commands.js';
import type { Ctx } from '../platform/context.js';
import { keyedHash, sameHex } from '../platform/crypto/secrets.js';
import type { Db } from '../platform/db/db.js';
import { Conflict, Invalid, NotFound } from '../platform/errors/errors.js';
import { enqueueNotification } from '../platform/notify/outbox.js';
import { isVerificationLocked, mobileEnding, newSmsCode, type SecondFactor } from './recovery.js';
import { clearVerifyFailures, findVerification, loadVerifyThrottle, moveVerification, setSmsCode, type Verification } from './recovery.repo.js';
import { type ConsoleSettings, type ConsoleTarget, loadForConsole, refuseUnlessVerifiable } from './console.commands.js';
import { countFailure, type RecoverySettings, smsCodeKey } from './verification.commands.js';
import { clockTime } from './recovery.presenters.js';
import { useTotpCode } from '../mfa/totp.commands.js';

/**
 * The second step of a console verification (a code from the caller's authenticator app,
 * or a one-time code sent by SMS to the registered mobile), and loading a verification
 * for the agent who owns it.
 */

/**
 * A verification of this agent's flow, with its account. Anyone else's verification (another
 * agent, another session, a self-service one) is NotFound, like one that does not exist.
 * @throws NotFound, Forbidden
 */
export async function loadVerificationForAgent(
  db: Db, ctx: Ctx, settings: ConsoleSettings, verificationId: string, flow: string | null,
): Promise<{ v: Verification; target: ConsoleTarget }> {
  const v = await findVerification(db, verificationId);
  if (!v || !ctx.actor || v.channel === 'self-service' || v.agentId !== ctx.actor.accountId || v.flow !== flow) throw new NotFound();
  return { v, target: await loadForConsole(db, ctx, settings, v.accountId) };
}

export function isExpired(v: Verification, now: Date): boolean {
  return now.getTime() >= Date.parse(v.expiresAt);
}

/** Why a verification cannot be used for a reset (null: it can). */
export function verificationProblem(v: Verification, now: Date): string | null {
  if (v.status === 'failed') return 'This verification failed, so the password cannot be reset. Start a new verification.';
  if (v.status === 'used') return 'This verification has already been used for a reset. A new reset needs a new verification.';
  if (isExpired(v, now)) return 'This verification has expired. Start a new verification.';
  if (v.status === 'second-factor') return 'The caller has not passed the second check yet.';
  return null;
}

export interface VerificationView {
  verification: Verification;
  target: ConsoleTarget;
  expired: boolean;
  mobileEnding: string | null;
  smsSent: boolean;
  problem: string | null;
}

/** The verification page: where the flow is. @throws NotFound, Forbidden */
export async function verificationView(db: Db, ctx: Ctx, settings: ConsoleSettings, verificationId: string, flow: string | null): Promise<VerificationView> {
  const { v, target } = await loadVerificationForAgent(db, ctx, settings, verificationId, flow);
  return {
    verification: v, target, expired: isExpired(v, ctx.now), mobileEnding: target.subject.ukMobile ? mobileEnding(target.account.mobile) : null,
    smsSent: v.smsCodeHash !== null && v.smsExpiresAt !== null && Date.parse(v.smsExpiresAt) > ctx.now.getTime(), problem: verificationProblem(v, ctx.now),
  };
}

async function openForSecondFactor(
  db: Db, ctx: Ctx, settings: ConsoleSettings, verificationId: string, flow: string | null, kind: SecondFactor,
): Promise<{ v: Verification; target: ConsoleTarget }> {
  const found = await loadVerificationForAgent(db, ctx, settings, verificationId, flow);
  const { v, target } = found;
  const throttle = await loadVerifyThrottle(db, v.accountId);
  refuseUnlessVerifiable(target, isVerificationLocked(throttle, ctx.now) ? throttle.lockedUntil : null, ctx.now);
  if (v.status !== 'second-factor') throw new Conflict(verificationProblem(v, ctx.now) ?? 'The second check has already been passed.');
  if (isExpired(v, ctx.now)) throw new Conflict('This verification has expired. Start a new verification.');
  // Both the options fixed when the questions were passed and today's: a factor added or a
  // mobile changed meanwhile is judged as it is now (the strongest factor wins).
  const now = target.subject.assessment.ok ? target.subject.assessment.options : [];
  if (!v.secondFactorOptions.includes(kind) || !now.includes(kind)) {
    throw new Conflict(kind === 'sms' ? 'A text message code cannot be used for this account: it must pass its authenticator app, or its mobile number is not usable yet.' : 'This account has no authenticator app.');
  }
  return found;
}

/**
 * Sends a one-time code by SMS to the account's registered mobile (stored only as a keyed
 * hash; a new code replaces the last). At most one a minute.
 * @returns the last 4 digits of the number it went to
 * @throws Conflict, NotFound, Forbidden, RateLimited
 */
export async function sendVerificationSms(db: Db, ctx: Ctx, settings: RecoverySettings, input: { verificationId: string; flow: string | null }): Promise<{ mobileEnding: string }> {
  const { v, target } = await openForSecondFactor(db, ctx, settings, input.verificationId, input.flow, 'sms');
  const validMs = settings.recoverySmsCodeMinutes * 60_000;
  if (v.smsExpiresAt && Date.parse(v.smsExpiresAt) - validMs > ctx.now.getTime() - 60_000) throw new Conflict('A code was sent less than a minute ago. Ask the caller to wait for it.');
  const code = newSmsCode((n) => randomInt(n));
  const expiresAt = new Date(Math.min(ctx.now.getTime() + validMs, Date.parse(v.expiresAt))).toISOString();
  await db.transaction().execute(async (trx) => {
    await setSmsCode(trx, v.id, keyedHash(smsCodeKey(settings), `${v.id}\n${code}`), expiresAt);
    await enqueueNotification(trx, settings.secretKey, ctx.now, {
      channel: 'sms', template: 'recovery/verify-code', to: target.account.mobile!, accountId: target.account.id, organisationId: target.account.organisationId,
      data: { code, minutes: settings.recoverySmsCodeMinutes },
    });
    await recordAudit(trx, ctx, { action: 'recovery.verify.sms-sent', organisationId: target.account.organisationId, target: `account:${target.account.id}`, details: { verificationId: v.id } });
  });
  return { mobileEnding: mobileEnding(target.account.mobile) };
}

/**
 * Checks the second factor the caller gives: a code from their authenticator app (a code
 * already used is refused) or the code sent by SMS. A wrong code fails the whole
 * verification and counts towards the lock. @returns whether it passed, the lock, and the
 * verified account (where the console goes after a failure)
 * @throws Invalid (no code, or no SMS code sent yet), Conflict, NotFound, Forbidden, RateLimited
 */
export async function passSecondFactor(
  db: Db, ctx: Ctx, settings: RecoverySettings, input: { verificationId: string; flow: string | null; kind: SecondFactor; code: string },
): Promise<{ passed: boolean; lockedUntil: string | null; attemptsLeft: number; accountId: string }> {
  const { v, target } = await openForSecondFactor(db, ctx, settings, input.verificationId, input.flow, input.kind);
  const code = input.code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(code)) throw new Invalid('Enter the 6-digit code.', ['Enter the 6-digit code the caller reads out.']);
  let passed: boolean;
  if (input.kind === 'totp') {
    passed = (await useTotpCode(db, settings.secretKey, v.accountId, code, ctx.now)) !== null;
  } else {
    if (!v.smsCodeHash || !v.smsExpiresAt) throw new Invalid('Send a code first.', ['Send a code to the caller\'s mobile first.']);
    if (Date.parse(v.smsExpiresAt) <= ctx.now.getTime()) throw new Conflict(`The code sent by text message expired at ${clockTime(v.smsExpiresAt)}. Send a new one.`);
    passed = sameHex(v.smsCodeHash, keyedHash(smsCodeKey(settings), `${v.id}\n${code}`));
  }
  const { account, organisation } = target;
  return db.transaction().execute(async (trx) => {
    if (!(await moveVerification(trx, v.id, 'second-factor', passed ? 'passed' : 'failed', passed ? { secondFactor: input.kind } : {}))) {
      throw new Conflict('This verification changed meanwhile. Open it again.');
    }
    await recordAudit(trx, ctx, {
      action: `recovery.verify.${input.kind}`, organisationId: account.organisationId, target: `account:${account.id}`, outcome: passed ? 'success' : 'failure',
      details: { verificationId: v.id, channel: v.channel },
    });
    if (!passed) return { passed, ...(await countFailure(trx, ctx, settings, account, organisation, v.channel)), accountId: account.id };
    await clearVerifyFailures(trx, account.id, ctx.now.toISOString());
    return { passed, lockedUntil: null, attemptsLeft: settings.recoveryMaxFailures, accountId: account.id };
  });
}

