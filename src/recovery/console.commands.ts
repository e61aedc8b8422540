import { recordAudit } from '../audit/audit.commands.js';
import type { Account, Organisation } from '../directory/directory.js';
import { findAccount, findOrganisation, listAccounts, localAdminsOf } from '../directory/directory.repo.js';
import type { Actor, Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { Conflict, Invalid, NotFound, RateLimited, Unauthenticated } from '../platform/errors/errors.js';
import { newId } from '../platform/ids.js';
import { isVerificationLocked, mobileEnding, mobileUsableFrom, ordinal, type Referral, type SecondFactor } from './recovery.js';
import { clockTime } from './recovery.presenters.js';
import { authorizeConsole, authorizeConsoleSearch, channelFor } from './recovery.policy.js';
import {
  clearVerifyFailures, consumeChallenge, findChallenge, findOpenVerification, insertVerification, loadVerifyThrottle, type Verification,
} from './recovery.repo.js';
import {
  cleanCharacters, charactersMatch, countFailure, ensureChallenge, loadSubject, type RecoverySettings, type Subject, trustRule,
} from './verification.commands.js';

/**
 * The helpdesk and LA console: find the account, start verification (the server picks
 * the challenge and keeps it until it is answered), check the characters the caller
 * gives. Second factor and reset are in second-factor.commands.ts and reset.commands.ts.
 */

export function requireActor(ctx: Ctx): Actor {
  if (!ctx.actor) throw new Unauthenticated();
  return ctx.actor;
}

export interface ConsoleTarget {
  actor: Actor;
  account: Account;
  organisation: Organisation | undefined;
  subject: Subject;
}

/** What the console needs of the settings to judge an account. */
export type ConsoleSettings = Pick<RecoverySettings, 'recoveryNewMobileDays' | 'allowCrownDependencyMobiles'>;

/**
 * The account, if the actor's console may reach it (its organisation in scope, and its
 * roles ones the actor may verify and reset). @throws NotFound, Forbidden
 */
export async function loadForConsole(db: Db, ctx: Ctx, settings: ConsoleSettings, accountId: string): Promise<ConsoleTarget> {
  const actor = requireActor(ctx);
  const scope = authorizeConsoleSearch(actor);
  const account = await findAccount(db, accountId, scope);
  if (!account) throw new NotFound();
  const subject = await loadSubject(db, account, trustRule(settings, ctx.now));
  authorizeConsole(actor, { ...account, roles: subject.roles });
  const organisation = await findOrganisation(db, account.organisationId, { all: true });
  return { actor, account, organisation, subject };
}

/** What the console says instead of offering a reset. */
export const REFERRAL_TEXT: Record<Referral, string> = {
  'non-uk-mobile': 'This account was disabled because its registered mobile number is not a UK number. Do not reset the password: refer the caller to their Local Administrator, who will apply a UK number and re-enable the account.',
  compromised: 'This account has been identified as compromised. Do not reset the password here: follow the compromise case, which the organisation\'s Local Administrators are working.',
  disabled: 'This account is disabled. Do not reset the password: refer the caller to their Local Administrator.',
  'no-questions': 'The caller has not set security questions, so they cannot be verified over the phone. Refer the caller to their Local Administrator.',
  'no-phone-factor': 'This account must pass a second check, but it has no authenticator app and no UK mobile number to check over the phone (privileged accounts are never reset on security questions alone). Refer the caller to their Local Administrator.',
  'security-key-only': 'This account\'s second factor is a security key or passkey, which cannot be checked over the phone, and a text message is never accepted instead of a stronger factor. Do not reset the password here: refer the caller to their Local Administrator (a platform administrator for an administrative account), who can confirm who they are in person.',
  'mobile-recently-changed': 'The mobile number on this account was added or changed recently by someone other than the account holder, so it cannot be used as the second check yet. Do not send a code to it. Ask the caller to call back once the date below has passed, or refer them to their Local Administrator (a platform administrator for an administrative account).',
};

export interface ChallengeView {
  id: string;
  items: { question: string; position: number; ordinal: string }[];
}

export interface ConsoleAccountView {
  account: Account;
  organisation: Organisation | undefined;
  channel: 'la' | 'helpdesk';
  privileged: boolean;
  hasMfa: boolean;
  mobileEnding: string | null;
  secondFactorOptions: SecondFactor[];
  referral: { kind: Referral; text: string; laContact: string; localAdmins: { name: string; email: string }[]; mobileUsableFrom: string | null } | null;
  lockedUntil: string | null;
  challenge: ChallengeView | null;
  open: Pick<Verification, 'id' | 'status' | 'expiresAt'> | null;
}

export function challengeView(subject: Subject, c: { id: string; positions: { slot: number; position: number }[] }): ChallengeView {
  return {
    id: c.id,
    items: c.positions.map((p) => ({ question: subject.questions.find((q) => q.slot === p.slot)?.question ?? '', position: p.position + 1, ordinal: ordinal(p.position + 1) })),
  };
}

/** Accounts the console may reach, by address prefix or name. @throws Forbidden without a console */
export async function searchConsoleAccounts(db: Db, ctx: Ctx, q: string): Promise<Account[]> {
  const scope = authorizeConsoleSearch(requireActor(ctx));
  const search = q.trim().slice(0, 100);
  return search.length < 2 ? [] : listAccounts(db, scope, { search, limit: 20 });
}

/**
 * The console page of one account: a referral script instead of a reset where one
 * applies, the verification lock, and the pending challenge (shown, never created, here).
 * @throws NotFound, Forbidden
 */
export async function consoleAccount(db: Db, ctx: Ctx, settings: ConsoleSettings, accountId: string, flow: string | null): Promise<ConsoleAccountView> {
  const { actor, account, organisation, subject } = await loadForConsole(db, ctx, settings, accountId);
  const a = subject.assessment;
  const throttle = await loadVerifyThrottle(db, account.id);
  const challenge = a.ok ? await findChallenge(db, account.id) : undefined;
  const open = a.ok ? await findOpenVerification(db, account.id, actor.accountId, flow, ctx.now.toISOString()) : undefined;
  const las = a.ok ? [] : (await localAdminsOf(db, account.organisationId)).filter((x) => x.status === 'active' && x.id !== account.id);
  return {
    account, organisation, channel: channelFor(actor, account.organisationId), privileged: subject.privileged, hasMfa: subject.hasMfa,
    mobileEnding: subject.ukMobile ? mobileEnding(account.mobile) : null, secondFactorOptions: a.ok ? a.options : [],
    referral: a.ok ? null : {
      kind: a.referral, text: REFERRAL_TEXT[a.referral], laContact: organisation?.laContact ?? '', localAdmins: las.map((x) => ({ name: x.displayName, email: x.email })),
      mobileUsableFrom: a.referral === 'mobile-recently-changed' ? usableFromText(account, settings) : null,
    },
    lockedUntil: isVerificationLocked(throttle, ctx.now) ? throttle.lockedUntil : null,
    challenge: challenge ? challengeView(subject, challenge) : null,
    open: open ? { id: open.id, status: open.status, expiresAt: open.expiresAt } : null,
  };
}

function usableFromText(account: Account, settings: ConsoleSettings): string | null {
  const from = mobileUsableFrom(account, settings.recoveryNewMobileDays);
  return from && `${from.slice(0, 10)} ${clockTime(from)}`;
}

/** @throws Conflict when a referral applies, RateLimited while verification is locked */
export function refuseUnlessVerifiable(target: ConsoleTarget, lockedUntil: string | null, now: Date): void {
  const a = target.subject.assessment;
  if (!a.ok) throw new Conflict(REFERRAL_TEXT[a.referral]);
  if (lockedUntil) {
    throw new RateLimited(`Verification of this account is locked until ${clockTime(lockedUntil)} after too many failed attempts. The account holder, the CSOC and the organisation's Local Administrators have been told.`,
      Math.max(1, Math.ceil((Date.parse(lockedUntil) - now.getTime()) / 1000)));
  }
}

/**
 * Starts verification: the account's pending challenge, or a new one the server picks.
 * It stays the same until it is answered (reloading does not re-roll it).
 * @throws NotFound, Forbidden, Conflict (referral), RateLimited (locked)
 */
export async function startVerification(db: Db, ctx: Ctx, settings: ConsoleSettings, accountId: string): Promise<ChallengeView> {
  const target = await loadForConsole(db, ctx, settings, accountId);
  const throttle = await loadVerifyThrottle(db, accountId);
  refuseUnlessVerifiable(target, isVerificationLocked(throttle, ctx.now) ? throttle.lockedUntil : null, ctx.now);
  const c = await ensureChallenge(db, ctx, target.account, target.subject, channelFor(target.actor, target.account.organisationId));
  return challengeView(target.subject, c);
}

export interface AnswerResult {
  passed: boolean;
  verificationId: string;
  /** What comes next after a pass. */
  next: 'second-factor' | 'reset' | null;
  lockedUntil: string | null;
  attemptsLeft: number;
}

/**
 * Checks the characters the caller gave for the pending challenge. The answer is pass or
 * fail only; either way the challenge is used up and a verification is recorded (bound
 * to this agent and flow). A failure counts towards the lock. The characters are never
 * stored, logged or audited. @throws Invalid (not one character per box: nothing is
 * used up), Conflict (challenge changed or referral), RateLimited, NotFound, Forbidden
 */
export async function answerChallenge(
  db: Db, ctx: Ctx, settings: RecoverySettings, input: { accountId: string; challengeId: string; characters: string[]; flow: string | null },
): Promise<AnswerResult> {
  const target = await loadForConsole(db, ctx, settings, input.accountId);
  const { actor, account, organisation, subject } = target;
  const throttle = await loadVerifyThrottle(db, account.id);
  refuseUnlessVerifiable(target, isVerificationLocked(throttle, ctx.now) ? throttle.lockedUntil : null, ctx.now);
  const a = subject.assessment;
  if (!a.ok) throw new Conflict(REFERRAL_TEXT[a.referral]);
  const challenge = await findChallenge(db, account.id);
  if (!challenge || challenge.id !== input.challengeId) throw new Conflict('This challenge has already been answered. Start the verification again.');
  const chars = cleanCharacters(input.characters, challenge.positions.length);
  if (!chars) throw new Invalid('Enter one character in each box.', ['Enter exactly one character in each box, as the caller says it.']);
  const passed = charactersMatch(settings, account.id, subject.questions, challenge.positions, chars);
  const channel = channelFor(actor, account.organisationId);
  const id = newId(ctx.now.getTime());
  const now = ctx.now.toISOString();
  const next = passed ? (a.options.length ? 'second-factor' : 'reset') : null;
  return db.transaction().execute(async (trx) => {
    if (!(await consumeChallenge(trx, account.id, challenge.id))) throw new Conflict('This challenge has already been answered. Start the verification again.');
    await insertVerification(trx, {
      id, accountId: account.id, organisationId: account.organisationId, channel, agentId: actor.accountId, agentOrganisationId: actor.organisationId, flow: input.flow,
      challengeId: challenge.id, questionsPassed: passed, secondFactorOptions: a.options, secondFactor: null, smsCodeHash: null, smsExpiresAt: null,
      status: !passed ? 'failed' : next === 'second-factor' ? 'second-factor' : 'passed', createdAt: now,
      expiresAt: new Date(ctx.now.getTime() + settings.recoveryVerificationMinutes * 60_000).toISOString(), usedAt: null,
    });
    await recordAudit(trx, ctx, {
      action: 'recovery.verify.questions', organisationId: account.organisationId, target: `account:${account.id}`, outcome: passed ? 'success' : 'failure',
      details: { verificationId: id, channel },
    });
    if (!passed) return { passed, verificationId: id, next, ...(await countFailure(trx, ctx, settings, account, organisation, channel)) };
    if (next === 'reset') await clearVerifyFailures(trx, account.id, now);
    return { passed, verificationId: id, next, lockedUntil: null, attemptsLeft: settings.recoveryMaxFailures };
  });
}
