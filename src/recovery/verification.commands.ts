import { recordAudit } from '../audit/audit.commands.js';
import { type Account, isHighRiskArea, isPrivileged, type Organisation, type RoleGrant } from '../directory/directory.js';
import { rolesOf } from '../directory/directory.repo.js';
import { randomInt } from 'node:crypto';
import { factorsOf } from '../mfa/mfa.repo.js';
import { isRegistrableMobile } from '../phones/phones.js';
import type { Config } from '../platform/config/config.js';
import type { Ctx } from '../platform/context.js';
import { deriveKey, sameHex } from '../platform/crypto/secrets.js';
import type { Db } from '../platform/db/db.js';
import { newId } from '../platform/ids.js';
import {
  type Assessment, assessVerification, charHash, type ChallengePosition, mobileTrusted, type MobileTrustRule, normaliseTypedChar, pickChallenge,
  type VerificationSubject,
} from './recovery.js';
import { notifyVerificationLocked } from './verification.lock.js';
import { addVerifyFailure, type Challenge, findChallenge, insertChallengeIfNone, lockVerifyIfDue, questionsOf, type StoredQuestion } from './recovery.repo.js';

/**
 * The parts of verification that the console and self-service share: what is known about
 * an account, checking typed characters and codes, and counting failures (with the lock
 * and the LAs' notification). Internal to the recovery capability.
 */

/** The settings recovery commands need (the whole Config satisfies it). */
export type RecoverySettings = Pick<
  Config,
  'secretKey' | 'recoveryMaxFailures' | 'recoveryLockMinutes' | 'recoveryVerificationMinutes' | 'recoverySmsCodeMinutes' | 'recoveryReviewIntervalDays'
  | 'recoveryWorkingHours' | 'recoveryTimeZone' | 'recoveryUnusualVolumePerDay' | 'recoveryNewMobileDays' | 'allowCrownDependencyMobiles'
  | 'csocEmail' | 'platformDomain'
>;

/** The mobile-trust rule of these settings at `now`. */
export function trustRule(settings: Pick<Config, 'recoveryNewMobileDays' | 'allowCrownDependencyMobiles'>, now: Date): MobileTrustRule {
  return { now, newMobileDays: settings.recoveryNewMobileDays, mobileRule: { allowCrownDependencies: settings.allowCrownDependencyMobiles } };
}

export const answerKey = (s: { secretKey: Buffer }): Buffer => deriveKey(s.secretKey, 'security-answers');
export const smsCodeKey = (s: { secretKey: Buffer }): Buffer => deriveKey(s.secretKey, 'recovery-sms-codes');

export interface Subject extends VerificationSubject {
  roles: RoleGrant[];
  questions: StoredQuestion[];
  assessment: Assessment;
}

/** Everything the rules need to know about an account at `trust.now`, and their verdict. */
export async function loadSubject(db: Db, account: Account, trust: MobileTrustRule): Promise<Subject> {
  const [roles, factors, questions] = await Promise.all([rolesOf(db, account.id), factorsOf(db, account.id), questionsOf(db, account.id)]);
  const s: VerificationSubject = {
    status: account.status, statusReason: account.statusReason, compromisedAt: account.compromisedAt,
    privileged: isPrivileged(roles),
    hasTotp: factors.some((f) => f.kind === 'totp' && f.secretEnc !== null), hasMfa: factors.length > 0,
    ukMobile: isRegistrableMobile(account.mobile, trust.mobileRule), mobileTrusted: mobileTrusted(account, trust), questionsSet: questions.length === 3,
  };
  return { ...s, roles, questions, assessment: assessVerification(s) };
}

/** Whether an account's business area is one its organisation marks high-risk. */
export function isHighRisk(account: Account, org: Organisation | undefined): boolean {
  return isHighRiskArea(account.businessArea, org?.highRiskAreas ?? []);
}

/**
 * The account's pending challenge, or a new one the server picks (one character in each of
 * two different answers), stored with its audit event. It stays the same, whoever asks and
 * however often, until it is answered: no re-rolling.
 */
export async function ensureChallenge(db: Db, ctx: Ctx, account: Account, subject: Subject, channel: string): Promise<Challenge> {
  const existing = await findChallenge(db, account.id);
  if (existing) return existing;
  const fresh: Challenge = {
    id: newId(ctx.now.getTime()), createdAt: ctx.now.toISOString(),
    positions: pickChallenge(subject.questions.map((q) => q.charHashes.length), (n) => randomInt(n)),
  };
  await db.transaction().execute(async (trx) => {
    await insertChallengeIfNone(trx, account.id, fresh);
    await recordAudit(trx, ctx, { action: 'recovery.verify.start', organisationId: account.organisationId, target: `account:${account.id}`, details: { channel } });
  });
  // Someone else may have started one at the same moment: whichever was stored stands.
  return (await findChallenge(db, account.id))!;
}

/** Normalises the typed characters. @returns them, or null when any box is not exactly one character */
export function cleanCharacters(typed: readonly string[], expected: number): string[] | null {
  if (typed.length !== expected || typed.some((c) => typeof c !== 'string')) return null;
  const clean = typed.map(normaliseTypedChar);
  return clean.every((c) => c !== null) ? (clean as string[]) : null;
}

/** Whether the characters match the answers at the challenge's positions (every one compared, constant time each). */
export function charactersMatch(settings: { secretKey: Buffer }, accountId: string, questions: readonly StoredQuestion[], positions: readonly ChallengePosition[], chars: readonly string[]): boolean {
  const key = answerKey(settings);
  let ok = positions.length === chars.length && positions.length > 0;
  positions.forEach((p, i) => {
    const stored = questions.find((q) => q.slot === p.slot)?.charHashes[p.position];
    const typed = charHash(key, accountId, p.slot, p.position, chars[i] ?? '');
    if (!stored || !sameHex(stored, typed)) ok = false;
  });
  return ok;
}

export interface FailureOutcome {
  /** Set when this failure locked verification: until when. */
  lockedUntil: string | null;
  /** Attempts left before the lock (0 when locked now). */
  attemptsLeft: number;
}

/**
 * Counts a failed verification in `trx` (console channels only: self-service keeps its own
 * count). The failure that reaches the limit locks verification of the account and tells,
 * by email (once per lock), the account itself, the CSOC and the organisation's LAs.
 */
export async function countFailure(trx: Db, ctx: Ctx, settings: RecoverySettings, account: Account, org: Organisation | undefined, channel: string): Promise<FailureOutcome> {
  const now = ctx.now.toISOString();
  const failures = await addVerifyFailure(trx, account.id, now);
  if (failures < settings.recoveryMaxFailures) return { lockedUntil: null, attemptsLeft: settings.recoveryMaxFailures - failures };
  const until = new Date(ctx.now.getTime() + settings.recoveryLockMinutes * 60_000).toISOString();
  if (!(await lockVerifyIfDue(trx, account.id, settings.recoveryMaxFailures, until, now))) return { lockedUntil: until, attemptsLeft: 0 };
  await recordAudit(trx, ctx, {
    action: 'recovery.verify.locked', organisationId: account.organisationId, target: `account:${account.id}`, outcome: 'failure',
    details: { until, failures: settings.recoveryMaxFailures, channel },
  });
  await notifyVerificationLocked(trx, ctx, settings, account, org, { until, channel });
  return { lockedUntil: until, attemptsLeft: 0 };
}
