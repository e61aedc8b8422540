import { createHmac, randomInt } from 'node:crypto';
import { recordAudit } from '../audit/audit.commands.js';
import { type Account, isValidEmail, normaliseEmail } from '../directory/directory.js';
import { findAccountByEmail, findOrganisation } from '../directory/directory.repo.js';
import type { Config } from '../platform/config/config.js';
import type { Ctx } from '../platform/context.js';
import { decryptSecret, deriveKey, encryptSecret } from '../platform/crypto/secrets.js';
import type { Db } from '../platform/db/db.js';
import { Invalid, RateLimited } from '../platform/errors/errors.js';
import { newId } from '../platform/ids.js';
import { generateOneTimePassword, hashPassword } from '../signin/password.js';
import { type ChallengePosition, isVerificationLocked, lastFourMatch, ordinal, selfServiceAllowed } from './recovery.js';
import {
  addSelfServiceFailure, clearVerifyFailures, insertVerification, loadSelfServiceCounter, loadVerifyThrottle, questionsOf, replaceSelfServiceChallenge, type Verification,
} from './recovery.repo.js';
import { applyReset } from './reset.commands.js';
import { decoyProfile, pickNextChallenge, seededRandom, type SelfServiceLimits, selfServiceRetryAfter } from './selfservice.js';
import { charactersMatch, cleanCharacters, loadSubject, type RecoverySettings, trustRule } from './verification.commands.js';
import { useTotpCode } from '../mfa/totp.commands.js';
import { notifySelfServiceFailures } from './verification.lock.js';

/**
 * Self-service reset from the sign-in page: email + last 4 digits of the registered mobile
 * → the characters the server asks for (+ the authenticator code where one is enrolled) →
 * a temporary password by SMS.
 *
 * Every address typed behaves the same way, whether or not an account has it, the digits
 * match, or the account is locked or not eligible: its own self-service challenge (apart
 * from the console's), stable until answered and re-rolled after every answer; the
 * questions of the account, or made-up ones derived from a keyed hash of the address; the
 * digits, characters and code all checked at the last step, which always costs one argon2id
 * hash; every wrong answer counted against the address and the client address (never
 * towards the console's lock).
 */

const FLOW_MINUTES = 15;
const CHALLENGE_SIZE = 2;
/** Id of an address's first challenge (derived from the address, before any answer). */
const FIRST = 'first';

export type SelfServiceSettings = RecoverySettings & SelfServiceLimits & Pick<Config, 'recoverySelfServiceNotifyFailures'>;

interface FlowState {
  /** Normalised address, last 4 digits as typed, the id of the challenge shown, when. */
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
const keyed = (s: { secretKey: Buffer }, purpose: string, value: string): Buffer => createHmac('sha256', deriveKey(s.secretKey, purpose)).update(value).digest();

interface Keys {
  address: string;
  client: string;
  /** Seed of the address's made-up questions and first challenge. */
  seed: Buffer;
}

function keysOf(settings: { secretKey: Buffer }, email: string, ctx: Ctx): Keys {
  return {
    address: `address:${keyed(settings, 'recovery-self-service-counters', email).toString('hex')}`,
    client: `client:${keyed(settings, 'recovery-self-service-counters', ctx.ip ?? '-').toString('hex')}`,
    seed: keyed(settings, 'recovery-decoy', email),
  };
}

/** @throws RateLimited when the address or the client has failed too often in the window (said the same for every address) */
async function refuseIfThrottled(db: Db, settings: SelfServiceSettings, keys: Keys, now: Date): Promise<void> {
  const [address, client] = await Promise.all([loadSelfServiceCounter(db, keys.address), loadSelfServiceCounter(db, keys.client)]);
  const wait = selfServiceRetryAfter(address, client, settings, now);
  if (wait !== null) throw new RateLimited('There have been too many attempts to reset this password. Try again later, or call your helpdesk.', wait);
}

interface Shown {
  id: string;
  /** Questions by slot, the answer lengths, the positions asked. */
  questions: string[];
  lengths: number[];
  positions: ChallengePosition[];
}

/** The current self-service challenge of an address: the account's questions (or made-up ones) and the positions asked. */
async function currentChallenge(db: Db, keys: Keys, account: Account | null): Promise<Shown> {
  const stored = account ? await questionsOf(db, account.id) : [];
  const profile = stored.length === 3 ? { questions: stored.map((q) => q.question), lengths: stored.map((q) => q.charHashes.length) } : decoyProfile(keys.seed);
  const row = await loadSelfServiceCounter(db, keys.address);
  const id = row?.challengeId ?? FIRST;
  let positions = row?.challengeId ? row.positions ?? [] : [];
  // The first challenge, or one whose answers have changed since: derived from the address, stable.
  if (!positions.length || positions.some((p) => p.position >= (profile.lengths[p.slot] ?? 0))) positions = nextFromSeed(keys.seed, id, profile.lengths);
  return { id, ...profile, positions };
}

const nextFromSeed = (seed: Buffer, id: string, lengths: readonly number[]): ChallengePosition[] =>
  pickNextChallenge(lengths, seededRandom(Buffer.concat([seed, Buffer.from(id)])), []);

const itemsOf = (c: Shown): SelfServiceChallenge['items'] =>
  c.positions.map((p) => ({ question: c.questions[p.slot] ?? '', position: p.position, ordinal: ordinal(p.position + 1) }));

/**
 * First step: the challenge to answer, the same kind of page for every address. Nothing is
 * checked or counted here but the form and the throttle.
 * @throws Invalid when the address or digits are malformed (said the same for every account)
 * @throws RateLimited when the address or the client has failed too often
 */
export async function startSelfService(db: Db, ctx: Ctx, settings: SelfServiceSettings, input: { email: string; mobileLast4: string }): Promise<SelfServiceChallenge> {
  const email = normaliseEmail(input.email);
  const last4 = input.mobileLast4.replace(/\s/g, '');
  const problems: string[] = [];
  if (!isValidEmail(email)) problems.push('Enter your email address, like name@example.nhs.uk.');
  if (!/^\d{4}$/.test(last4)) problems.push('Enter the last 4 digits of your mobile number.');
  if (problems.length) throw new Invalid('Check your details.', problems);
  const keys = keysOf(settings, email, ctx);
  await refuseIfThrottled(db, settings, keys, ctx.now);
  const found = await findAccountByEmail(db, email);
  const c = await currentChallenge(db, keys, found ? withoutHash(found) : null);
  const state: FlowState = { e: email, l: last4, c: c.id, t: ctx.now.getTime(), i: itemsOf(c) };
  // Padded to one length, so that the size of the token says nothing.
  const json = JSON.stringify(state);
  return { flow: encryptSecret(flowKey(settings), json.padEnd(Math.max(1024, Math.ceil(json.length / 256) * 256))), items: state.i };
}

function withoutHash(found: NonNullable<Awaited<ReturnType<typeof findAccountByEmail>>>): Account {
  const { passwordHash: _omit, ...account } = found;
  return account;
}

function verificationOf(ctx: Ctx, settings: RecoverySettings, account: Account, challengeId: string): Verification {
  return {
    id: newId(ctx.now.getTime()), accountId: account.id, organisationId: account.organisationId, channel: 'self-service', agentId: null, agentOrganisationId: null, flow: null,
    challengeId, questionsPassed: false, secondFactorOptions: [], secondFactor: null, smsCodeHash: null, smsExpiresAt: null, status: 'failed', createdAt: ctx.now.toISOString(),
    expiresAt: new Date(ctx.now.getTime() + settings.recoveryVerificationMinutes * 60_000).toISOString(), usedAt: null,
  };
}

function readFlow(settings: RecoverySettings, flow: string, now: Date): FlowState {
  try {
    const s = JSON.parse(decryptSecret(flowKey(settings), flow)) as FlowState;
    if (typeof s.e === 'string' && typeof s.l === 'string' && typeof s.c === 'string' && Array.isArray(s.i) && now.getTime() - s.t <= FLOW_MINUTES * 60_000 && s.t <= now.getTime()) return s;
  } catch {
    // Not ours, altered, or malformed: the same answer as expired.
  }
  throw new Invalid('This page has expired.', ['This page has expired. Start again.']);
}

/** The challenge a flow showed, to show it again. @throws Invalid when the flow is not valid (expired) */
export function selfServiceChallengeOf(settings: RecoverySettings, flow: string, now: Date): SelfServiceChallenge {
  return { flow, items: readFlow(settings, flow, now).i };
}

/** Why a real account's answer fails before its characters are compared, if it does. */
async function refusal(db: Db, ctx: Ctx, settings: RecoverySettings, account: Account, last4: string): Promise<{ reason: string | null; subject: Awaited<ReturnType<typeof loadSubject>> }> {
  const subject = await loadSubject(db, account, trustRule(settings, ctx.now));
  if (!lastFourMatch(account.mobile, last4)) return { reason: 'mobile-mismatch', subject };
  if (!selfServiceAllowed(subject)) return { reason: 'not-eligible', subject };
  if (isVerificationLocked(await loadVerifyThrottle(db, account.id), ctx.now)) return { reason: 'locked', subject };
  return { reason: null, subject };
}

/**
 * Second step: checks the digits, the characters and the authenticator code (where the
 * account has one) and, when everything matches, resets the password and sends the
 * temporary password by SMS to the registered mobile. Resolves the same way whatever
 * happened. Every answer uses the challenge up (the next one asks something else); a wrong
 * one counts against the address and the client address, and at
 * `recoverySelfServiceNotifyFailures` in a window the account's LAs are told.
 * @throws Invalid only for malformed input (expired page, not one character per box)
 * @throws RateLimited when the address or the client has failed too often
 */
export async function finishSelfService(db: Db, ctx: Ctx, settings: SelfServiceSettings, input: { flow: string; characters: string[]; code: string }): Promise<void> {
  const state = readFlow(settings, input.flow, ctx.now);
  const chars = cleanCharacters(input.characters, CHALLENGE_SIZE);
  if (!chars) throw new Invalid('Enter one character in each box.', ['Enter exactly one character in each box.']);
  const keys = keysOf(settings, state.e, ctx);
  await refuseIfThrottled(db, settings, keys, ctx.now);
  // Paid on every path, so that the time taken does not tell a match from a mismatch.
  const temporaryPassword = generateOneTimePassword();
  const passwordHash = await hashPassword(temporaryPassword);
  const found = await findAccountByEmail(db, state.e);
  const account = found ? withoutHash(found) : null;
  const c = await currentChallenge(db, keys, account);
  if (c.id !== state.c) return void (account && (await reasonAudit(db, ctx, account, 'challenge-changed')));
  const check = account && (await refusal(db, ctx, settings, account, state.l));
  const questionsOk = !!check && check.reason === null && charactersMatch(settings, account!.id, check.subject.questions, c.positions, chars);
  const totpOk = questionsOk && (!check!.subject.hasTotp || (await useTotpCode(db, settings.secretKey, account!.id, input.code.replace(/\s+/g, ''), ctx.now)) !== null);
  const passed = questionsOk && totpOk;
  const organisation = account ? await findOrganisation(db, account.organisationId, { all: true }) : undefined;
  await db.transaction().execute(async (trx) => {
    const next = { id: newId(ctx.now.getTime()), positions: pickNextChallenge(c.lengths, randomInt, c.positions) };
    if (!(await replaceSelfServiceChallenge(trx, keys.address, state.c === FIRST ? null : state.c, next, ctx.now.toISOString()))) return;
    if (!passed) await countSelfServiceFailure(trx, ctx, settings, keys, account, organisation);
    if (!account || !check) return;
    const v: Verification = {
      ...verificationOf(ctx, settings, account, c.id), questionsPassed: questionsOk, secondFactorOptions: check.subject.hasTotp ? ['totp'] : [],
      secondFactor: passed ? (check.subject.hasTotp ? 'totp' : 'sms') : null, status: passed ? 'passed' : 'failed',
    };
    await insertVerification(trx, v);
    const audit = (action: string, ok: boolean, details: Record<string, unknown> = {}): Promise<unknown> => recordAudit(trx, ctx, {
      action, organisationId: account.organisationId, target: `account:${account.id}`, outcome: ok ? 'success' : 'failure', details: { verificationId: v.id, channel: 'self-service', ...details },
    });
    if (check.reason) return void (await audit('recovery.self-service', false, { reason: check.reason }));
    await audit('recovery.verify.questions', questionsOk);
    if (questionsOk && check.subject.hasTotp) await audit('recovery.verify.totp', totpOk);
    if (!passed) return;
    await clearVerifyFailures(trx, account.id, ctx.now.toISOString());
    await applyReset(trx, ctx, settings, { account, organisation, subject: check.subject, verification: v, agent: null, ticket: null, delivery: 'sms', temporaryPassword, passwordHash });
  });
}

function reasonAudit(db: Db, ctx: Ctx, account: Account, reason: string): Promise<unknown> {
  return db.transaction().execute((trx) => recordAudit(trx, ctx, {
    action: 'recovery.self-service', organisationId: account.organisationId, target: `account:${account.id}`, outcome: 'failure', details: { channel: 'self-service', reason },
  }));
}

/** Counts one wrong answer on both counters in `trx`; at the notification threshold (once per window) the account's LAs are told. */
async function countSelfServiceFailure(trx: Db, ctx: Ctx, settings: SelfServiceSettings, keys: Keys, account: Account | null, org: Awaited<ReturnType<typeof findOrganisation>>): Promise<void> {
  const at = ctx.now.toISOString();
  const cutoff = new Date(ctx.now.getTime() - settings.recoverySelfServiceWindowMinutes * 60_000).toISOString();
  const counted = await addSelfServiceFailure(trx, keys.address, at, cutoff);
  await addSelfServiceFailure(trx, keys.client, at, cutoff);
  if (account && counted.failures === settings.recoverySelfServiceNotifyFailures) await notifySelfServiceFailures(trx, ctx, settings, account, org, counted);
}
