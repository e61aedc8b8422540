import { createHmac } from 'node:crypto';
import { recordAudit } from '../audit/audit.commands.js';
import { isValidEmail, normaliseEmail } from '../directory/directory.js';
import { findAccountByEmail, findOrganisation } from '../directory/directory.repo.js';
import type { Ctx } from '../platform/context.js';
import { decryptSecret, deriveKey, encryptSecret } from '../platform/crypto/secrets.js';
import type { Db } from '../platform/db/db.js';
import { Invalid } from '../platform/errors/errors.js';
import { newId } from '../platform/ids.js';
import { generateOneTimePassword, hashPassword } from '../signin/password.js';
import { decoyChallenge, isVerificationLocked, lastFourMatch, ordinal, selfServiceAllowed } from './recovery.js';
import { clearVerifyFailures, consumeChallenge, findChallenge, insertVerification, loadVerifyThrottle, type Verification } from './recovery.repo.js';
import { applyReset } from './reset.commands.js';
import {
  charactersMatch, cleanCharacters, countFailure, ensureChallenge, loadSubject, type RecoverySettings, totpCodeValid, trustRule,
} from './verification.commands.js';

/**
 * Self-service reset from the sign-in page: email + last 4 digits of the registered mobile
 * → the characters the server asks for (+ the authenticator code where one is enrolled) →
 * a temporary password by SMS. Every answer looks the same whether or not the account
 * exists, matches or is locked: an address that matches nothing gets a made-up challenge
 * that is as stable as a real one, and every final answer costs one argon2id hash.
 */

const FLOW_MINUTES = 15;
const CHALLENGE_SIZE = 2;

interface FlowState {
  /** Normalised address, last 4 digits as typed, the challenge shown (a random id for a decoy), when. */
  e: string;
  l: string;
  c: string;
  t: number;
  /** The questions and positions shown (to show them again after a typing mistake). */
  i: SelfServiceChallenge['items'];
}

export interface SelfServiceChallenge {
  /** Opaque, encrypted and authenticated state for the second step. */
  flow: string;
  items: { question: string; position: number; ordinal: string }[];
}

const flowKey = (s: { secretKey: Buffer }): Buffer => deriveKey(s.secretKey, 'recovery-self-service');

function reasonAudit(db: Db, ctx: Ctx, account: { id: string; organisationId: string }, action: string, reason: string): Promise<unknown> {
  return db.transaction().execute((trx) => recordAudit(trx, ctx, { action, organisationId: account.organisationId, target: `account:${account.id}`, outcome: 'failure', details: { channel: 'self-service', reason } }));
}

/**
 * First step: the challenge to answer. A wrong last 4 digits counts as a failed
 * verification of the account (so the page cannot be used to find the number).
 * @throws Invalid when the address or digits are malformed (said the same for every account)
 */
export async function startSelfService(db: Db, ctx: Ctx, settings: RecoverySettings, input: { email: string; mobileLast4: string }): Promise<SelfServiceChallenge> {
  const email = normaliseEmail(input.email);
  const last4 = input.mobileLast4.replace(/\s/g, '');
  const problems: string[] = [];
  if (!isValidEmail(email)) problems.push('Enter your email address, like name@example.nhs.uk.');
  if (!/^\d{4}$/.test(last4)) problems.push('Enter the last 4 digits of your mobile number.');
  if (problems.length) throw new Invalid('Check your details.', problems);
  const account = await findAccountByEmail(db, email);
  let items = decoyChallenge(createHmac('sha256', deriveKey(settings.secretKey, 'recovery-decoy')).update(email).digest()).map((d) => ({ ...d, ordinal: ordinal(d.position + 1) }));
  let challengeId = newId(ctx.now.getTime());
  if (account) {
    const { passwordHash: _omit, ...plain } = account;
    const subject = await loadSubject(db, plain, trustRule(settings, ctx.now));
    const locked = isVerificationLocked(await loadVerifyThrottle(db, account.id), ctx.now);
    if (!selfServiceAllowed(subject)) await reasonAudit(db, ctx, account, 'recovery.self-service.start', 'not-eligible');
    else if (locked) await reasonAudit(db, ctx, account, 'recovery.self-service.start', 'locked');
    else if (!lastFourMatch(account.mobile, last4)) {
      const org = await findOrganisation(db, account.organisationId, { all: true });
      await db.transaction().execute(async (trx) => {
        await insertVerification(trx, failedVerification(ctx, settings, plain.id, plain.organisationId, 'mobile'));
        await recordAudit(trx, ctx, { action: 'recovery.self-service.start', organisationId: account.organisationId, target: `account:${account.id}`, outcome: 'failure', details: { channel: 'self-service', reason: 'mobile-mismatch' } });
        await countFailure(trx, ctx, settings, plain, org, 'self-service');
      });
    } else {
      const c = await ensureChallenge(db, ctx, plain, subject, 'self-service');
      challengeId = c.id;
      items = c.positions.map((p) => ({ question: subject.questions.find((q) => q.slot === p.slot)?.question ?? '', position: p.position, ordinal: ordinal(p.position + 1) }));
    }
  }
  const state: FlowState = { e: email, l: last4, c: challengeId, t: ctx.now.getTime(), i: items };
  // Padded to one length, so that the size of the token does not tell a decoy from a real challenge.
  const json = JSON.stringify(state);
  return { flow: encryptSecret(flowKey(settings), json.padEnd(Math.max(1024, Math.ceil(json.length / 256) * 256))), items };
}

function failedVerification(ctx: Ctx, settings: RecoverySettings, accountId: string, organisationId: string, challengeId: string): Verification {
  return {
    id: newId(ctx.now.getTime()), accountId, organisationId, channel: 'self-service', agentId: null, agentOrganisationId: null, flow: null, challengeId,
    questionsPassed: false, secondFactorOptions: [], secondFactor: null, smsCodeHash: null, smsExpiresAt: null, status: 'failed', createdAt: ctx.now.toISOString(),
    expiresAt: new Date(ctx.now.getTime() + settings.recoveryVerificationMinutes * 60_000).toISOString(), usedAt: null,
  };
}

function readFlow(settings: RecoverySettings, flow: string, now: Date): FlowState {
  try {
    const s = JSON.parse(decryptSecret(flowKey(settings), flow)) as FlowState;
    if (typeof s.e === 'string' && typeof s.l === 'string' && Array.isArray(s.i) && now.getTime() - s.t <= FLOW_MINUTES * 60_000 && s.t <= now.getTime()) return s;
  } catch {
    // Not ours, altered, or malformed: the same answer as expired.
  }
  throw new Invalid('This page has expired.', ['This page has expired. Start again.']);
}

/** The challenge a flow showed, to show it again. @throws Invalid when the flow is not valid (expired) */
export function selfServiceChallengeOf(settings: RecoverySettings, flow: string, now: Date): SelfServiceChallenge {
  return { flow, items: readFlow(settings, flow, now).i };
}

/**
 * Second step: checks the characters (and the authenticator code where the account has
 * one) and, when everything matches, resets the password and sends the temporary password
 * by SMS to the registered mobile. Resolves the same way whatever happened; a mismatch
 * counts towards the lock.
 * @throws Invalid only for malformed input (expired page, not one character per box)
 */
export async function finishSelfService(db: Db, ctx: Ctx, settings: RecoverySettings, input: { flow: string; characters: string[]; code: string }): Promise<void> {
  const state = readFlow(settings, input.flow, ctx.now);
  const chars = cleanCharacters(input.characters, CHALLENGE_SIZE);
  if (!chars) throw new Invalid('Enter one character in each box.', ['Enter exactly one character in each box.']);
  // Paid on every path, so that the time taken does not tell a match from a mismatch.
  const temporaryPassword = generateOneTimePassword();
  const passwordHash = await hashPassword(temporaryPassword);
  const found = await findAccountByEmail(db, state.e);
  if (!found) return;
  const { passwordHash: _omit, ...account } = found;
  const subject = await loadSubject(db, account, trustRule(settings, ctx.now));
  if (!selfServiceAllowed(subject) || !lastFourMatch(account.mobile, state.l)) return void (await reasonAudit(db, ctx, account, 'recovery.self-service', 'not-eligible'));
  if (isVerificationLocked(await loadVerifyThrottle(db, account.id), ctx.now)) return void (await reasonAudit(db, ctx, account, 'recovery.self-service', 'locked'));
  const challenge = await findChallenge(db, account.id);
  if (!challenge || challenge.id !== state.c) return void (await reasonAudit(db, ctx, account, 'recovery.self-service', 'challenge-changed'));
  const questionsOk = charactersMatch(settings, account.id, subject.questions, challenge.positions, chars);
  const totpOk = questionsOk && (!subject.hasTotp || (await totpCodeValid(db, settings, account.id, input.code.replace(/\s+/g, ''), ctx.now)));
  const passed = questionsOk && totpOk;
  const organisation = await findOrganisation(db, account.organisationId, { all: true });
  const now = ctx.now.toISOString();
  const v: Verification = {
    ...failedVerification(ctx, settings, account.id, account.organisationId, challenge.id), questionsPassed: questionsOk,
    secondFactorOptions: subject.hasTotp ? ['totp'] : [], secondFactor: passed ? (subject.hasTotp ? 'totp' : 'sms') : null, status: passed ? 'passed' : 'failed',
  };
  await db.transaction().execute(async (trx) => {
    if (!(await consumeChallenge(trx, account.id, challenge.id))) return;
    await insertVerification(trx, v);
    await recordAudit(trx, ctx, {
      action: 'recovery.verify.questions', organisationId: account.organisationId, target: `account:${account.id}`, outcome: questionsOk ? 'success' : 'failure',
      details: { verificationId: v.id, channel: 'self-service' },
    });
    if (questionsOk && subject.hasTotp) {
      await recordAudit(trx, ctx, { action: 'recovery.verify.totp', organisationId: account.organisationId, target: `account:${account.id}`, outcome: totpOk ? 'success' : 'failure', details: { verificationId: v.id, channel: 'self-service' } });
    }
    if (!passed) return void (await countFailure(trx, ctx, settings, account, organisation, 'self-service'));
    await clearVerifyFailures(trx, account.id, now);
    await applyReset(trx, ctx, settings, { account, organisation, subject, verification: v, agent: null, ticket: null, delivery: 'sms', temporaryPassword, passwordHash });
  });
}
