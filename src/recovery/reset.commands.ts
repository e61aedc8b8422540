import { recordAudit } from '../audit/audit.commands.js';
import type { Account, Organisation } from '../directory/directory.js';
import { findAccount, findOrganisation } from '../directory/directory.repo.js';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { Conflict, Invalid, RateLimited } from '../platform/errors/errors.js';
import { newId } from '../platform/ids.js';
import { enqueueNotification } from '../platform/notify/outbox.js';
import { generateOneTimePassword, hashPassword } from '../signin/password.js';
import { revokeAccountApiTokens, revokeAccountSessions, setPassword } from '../signin/signin.repo.js';
import { cleanTicket, isVerificationLocked, mobileEnding } from './recovery.js';
import { countFailedSince, loadVerifyThrottle, moveVerification, type Verification } from './recovery.repo.js';
import { CHANNEL_TEXT } from './review.js';
import { insertReset } from './review.repo.js';
import { REFERRAL_TEXT } from './console.commands.js';
import { loadVerificationForAgent, verificationProblem } from './second-factor.commands.js';
import { isHighRisk, type RecoverySettings, type Subject } from './verification.commands.js';

/**
 * The reset itself. The only way in is a passed verification of the same agent's flow
 * (console) or of the same self-service request: there is no other function that sets a
 * temporary password.
 */

export interface ResetDone {
  resetId: string;
  /** The temporary password when it is to be shown to the agent (once); null when it went by SMS. */
  temporaryPassword: string | null;
  delivery: 'shown' | 'sms';
  /** The ticket reference as recorded. */
  ticket: string;
  /** What the page confirming the reset names: the account's address and the last digits of its mobile. */
  account: { id: string; email: string; mobileEnding: string };
}

interface Agent {
  id: string;
  email: string;
  name: string;
  organisationId: string;
  organisationName: string;
}

/**
 * Writes the reset in `trx`: the temporary password (argon2id, must be changed at next
 * sign-in), every session and API token revoked, MFA untouched, the reset recorded for
 * review, the SMS (when chosen) and a notice to the account's own address queued, and
 * the audit event. It first uses up the verification (passed → used, conditionally), so
 * it cannot run without a passed verification stored for this account.
 * @throws Conflict when the verification is not (or no longer) passed
 */
export async function applyReset(
  trx: Db, ctx: Ctx, settings: RecoverySettings,
  p: { account: Account; organisation: Organisation | undefined; subject: Subject; verification: Verification; agent: Agent | null; ticket: string | null; delivery: 'shown' | 'sms'; temporaryPassword: string; passwordHash: string },
): Promise<string> {
  const now = ctx.now.toISOString();
  const { account, verification: v } = p;
  if (v.accountId !== account.id || !(await moveVerification(trx, v.id, 'passed', 'used', { usedAt: now }))) {
    throw new Conflict('This verification has already been used for a reset. A new reset needs a new verification.');
  }
  await setPassword(trx, account.id, p.passwordHash, now, true);
  const sessions = await revokeAccountSessions(trx, account.id, now);
  const tokens = await revokeAccountApiTokens(trx, account.id, now);
  const failedBefore = await countFailedSince(trx, account.id, new Date(ctx.now.getTime() - 86_400_000).toISOString());
  const resetId = newId(ctx.now.getTime());
  const secondFactor = v.secondFactor ?? 'none';
  await insertReset(trx, {
    id: resetId, at: now, account_id: account.id, organisation_id: account.organisationId, account_email: account.email, account_name: account.displayName,
    channel: v.channel, agent_id: p.agent?.id ?? null, agent_email: p.agent?.email ?? null, agent_name: p.agent?.name ?? null,
    agent_organisation_id: p.agent?.organisationId ?? null, agent_organisation_name: p.agent?.organisationName ?? null, verification_id: v.id,
    failed_before: failedBefore, second_factor: secondFactor, delivery: p.delivery, ticket: p.ticket, privileged: p.subject.privileged ? 1 : 0,
    high_risk: isHighRisk(account, p.organisation) ? 1 : 0,
  });
  if (p.delivery === 'sms') {
    await enqueueNotification(trx, settings.secretKey, ctx.now, {
      channel: 'sms', template: 'recovery/temporary-password', to: account.mobile!, accountId: account.id, organisationId: account.organisationId,
      data: { password: p.temporaryPassword },
    });
  }
  await enqueueNotification(trx, settings.secretKey, ctx.now, {
    channel: 'email', template: 'recovery/password-reset', to: account.email, accountId: account.id, organisationId: account.organisationId,
    data: { name: account.displayName, channel: CHANNEL_TEXT[v.channel] ?? v.channel, at: now, ticket: p.ticket, by: p.agent ? `${p.agent.name} (${p.agent.email})` : null },
  });
  await recordAudit(trx, ctx, {
    action: 'recovery.reset', organisationId: account.organisationId, target: `account:${account.id}`,
    details: { resetId, verificationId: v.id, channel: v.channel, secondFactor, delivery: p.delivery, ticket: p.ticket, sessionsRevoked: sessions, tokensRevoked: tokens },
  });
  return resetId;
}

/**
 * Resets an account's password after a passed verification of this agent's flow. The
 * verification is used up (exactly once, even under concurrent requests); an expired,
 * failed, used, half-finished or someone else's verification is refused, and so is an
 * account that a referral now applies to.
 * @throws Invalid (ticket, delivery), Conflict (verification not usable, referral), RateLimited (locked), NotFound, Forbidden
 */
export async function resetPassword(
  db: Db, ctx: Ctx, settings: RecoverySettings, input: { verificationId: string; flow: string | null; ticket: string; delivery: 'shown' | 'sms' },
): Promise<ResetDone> {
  const ticket = cleanTicket(input.ticket);
  const problems: string[] = [];
  if (!ticket) problems.push('Enter the ticket reference (up to 64 letters, digits, spaces and . _ / # : -).');
  if (input.delivery !== 'shown' && input.delivery !== 'sms') problems.push('Choose how the caller gets the temporary password.');
  const { v, target } = await loadVerificationForAgent(db, ctx, settings, input.verificationId, input.flow);
  const problem = verificationProblem(v, ctx.now);
  if (problem) throw new Conflict(problem);
  if (problems.length || !ticket) throw new Invalid('The password was not reset.', problems);
  const { actor, account, organisation, subject } = target;
  if (!subject.assessment.ok) throw new Conflict(REFERRAL_TEXT[subject.assessment.referral]);
  // Defence in depth: never on questions alone where a second factor is required.
  if ((subject.privileged || v.secondFactorOptions.length > 0 || subject.assessment.options.length > 0) && v.secondFactor === null) {
    throw new Conflict('The caller has not passed the second check, so the password cannot be reset.');
  }
  if (isVerificationLocked(await loadVerifyThrottle(db, account.id), ctx.now)) throw new RateLimited('Verification of this account is locked after failed attempts. Try again later.');
  if (input.delivery === 'sms' && !subject.ukMobile) throw new Invalid('The password was not reset.', ['This account has no UK mobile number: show the temporary password instead.']);
  if (input.delivery === 'sms' && !subject.mobileTrusted) {
    throw new Invalid('The password was not reset.', ['The mobile number on this account was changed recently by someone else, so the temporary password is not sent to it: show it instead.']);
  }
  const agentAccount = await findAccount(db, actor.accountId, { all: true });
  const agentOrg = await findOrganisation(db, actor.organisationId, { all: true });
  const temporaryPassword = generateOneTimePassword();
  const passwordHash = await hashPassword(temporaryPassword);
  const resetId = await db.transaction().execute(async (trx) =>
    applyReset(trx, ctx, settings, {
      account, organisation, subject, verification: v, ticket, delivery: input.delivery, temporaryPassword, passwordHash,
      agent: { id: actor.accountId, email: actor.email, name: agentAccount?.displayName ?? actor.email, organisationId: actor.organisationId, organisationName: agentOrg?.name ?? '' },
    }),
  );
  return {
    resetId, temporaryPassword: input.delivery === 'shown' ? temporaryPassword : null, delivery: input.delivery, ticket,
    account: { id: account.id, email: account.email, mobileEnding: mobileEnding(account.mobile) },
  };
}
