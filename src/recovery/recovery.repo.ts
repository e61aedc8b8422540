import { sql, type Selectable } from 'kysely';
import type { Db } from '../platform/db/db.js';
import type { ChallengePosition, SecondFactor, VerifyThrottle } from './recovery.js';
import { NO_FAILURES } from './recovery.js';
import type { RecoveryChannel, RecoveryVerificationTable, VerificationStatus } from './recovery.tables.js';

/** Security questions, challenges, verifications and the verification lock: the SQL of recovery. */

export interface StoredQuestion {
  slot: number;
  question: string;
  charHashes: string[];
}

export async function replaceQuestions(trx: Db, accountId: string, rows: readonly StoredQuestion[], at: string): Promise<void> {
  await trx.deleteFrom('security_questions').where('account_id', '=', accountId).execute();
  await trx
    .insertInto('security_questions')
    .values(rows.map((r) => ({ account_id: accountId, slot: r.slot, question: r.question, char_hashes: JSON.stringify(r.charHashes), created_at: at })))
    .execute();
}

export async function questionsOf(db: Db, accountId: string): Promise<StoredQuestion[]> {
  const rows = await db.selectFrom('security_questions').selectAll().where('account_id', '=', accountId).orderBy('slot').execute();
  return rows.map((r) => ({ slot: Number(r.slot), question: r.question, charHashes: JSON.parse(r.char_hashes) as string[] }));
}

/** When the account's questions were set, or null when it has none. */
export async function questionsSetAt(db: Db, accountId: string): Promise<string | null> {
  const r = await db.selectFrom('security_questions').select(['created_at']).where('account_id', '=', accountId).executeTakeFirst();
  return r?.created_at ?? null;
}

export interface Challenge {
  id: string;
  positions: ChallengePosition[];
  createdAt: string;
}

export async function findChallenge(db: Db, accountId: string): Promise<Challenge | undefined> {
  const r = await db.selectFrom('recovery_challenges').selectAll().where('account_id', '=', accountId).executeTakeFirst();
  return r && { id: r.id, positions: JSON.parse(r.positions) as ChallengePosition[], createdAt: r.created_at };
}

/** Stores a challenge unless the account already has one (then the existing one stands). */
export async function insertChallengeIfNone(trx: Db, accountId: string, c: Challenge): Promise<void> {
  await trx
    .insertInto('recovery_challenges')
    .values({ account_id: accountId, id: c.id, positions: JSON.stringify(c.positions), created_at: c.createdAt })
    .onConflict((oc) => oc.column('account_id').doNothing())
    .execute();
}

/** Removes the challenge if it is still this one. @returns whether this call removed it (exactly once) */
export async function consumeChallenge(trx: Db, accountId: string, id: string): Promise<boolean> {
  const r = await trx.deleteFrom('recovery_challenges').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

export async function deleteChallenge(trx: Db, accountId: string): Promise<void> {
  await trx.deleteFrom('recovery_challenges').where('account_id', '=', accountId).execute();
}

export interface Verification {
  id: string;
  accountId: string;
  organisationId: string;
  channel: RecoveryChannel;
  agentId: string | null;
  agentOrganisationId: string | null;
  flow: string | null;
  challengeId: string;
  questionsPassed: boolean;
  secondFactorOptions: SecondFactor[];
  secondFactor: SecondFactor | null;
  smsCodeHash: string | null;
  smsExpiresAt: string | null;
  status: VerificationStatus;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
}

function toVerification(r: Selectable<RecoveryVerificationTable>): Verification {
  return {
    id: r.id, accountId: r.account_id, organisationId: r.organisation_id, channel: r.channel, agentId: r.agent_id, agentOrganisationId: r.agent_organisation_id,
    flow: r.flow, challengeId: r.challenge_id, questionsPassed: Number(r.questions_passed) === 1, secondFactorOptions: JSON.parse(r.second_factor_options) as SecondFactor[],
    secondFactor: r.second_factor, smsCodeHash: r.sms_code_hash, smsExpiresAt: r.sms_expires_at, status: r.status, createdAt: r.created_at, expiresAt: r.expires_at, usedAt: r.used_at,
  };
}

export async function insertVerification(trx: Db, v: Verification): Promise<void> {
  await trx
    .insertInto('recovery_verifications')
    .values({
      id: v.id, account_id: v.accountId, organisation_id: v.organisationId, channel: v.channel, agent_id: v.agentId, agent_organisation_id: v.agentOrganisationId,
      flow: v.flow, challenge_id: v.challengeId, questions_passed: v.questionsPassed ? 1 : 0, second_factor_options: JSON.stringify(v.secondFactorOptions),
      second_factor: v.secondFactor, sms_code_hash: v.smsCodeHash, sms_expires_at: v.smsExpiresAt, status: v.status, created_at: v.createdAt, expires_at: v.expiresAt, used_at: v.usedAt,
    })
    .execute();
}

export async function findVerification(db: Db, id: string): Promise<Verification | undefined> {
  const r = await db.selectFrom('recovery_verifications').selectAll().where('id', '=', id).executeTakeFirst();
  return r && toVerification(r);
}

/** The newest verification of this agent's flow for an account that is still usable (awaiting a second factor, or passed). */
export async function findOpenVerification(db: Db, accountId: string, agentId: string, flow: string | null, now: string): Promise<Verification | undefined> {
  let q = db.selectFrom('recovery_verifications').selectAll().where('account_id', '=', accountId).where('agent_id', '=', agentId)
    .where('status', 'in', ['second-factor', 'passed']).where('expires_at', '>', now);
  q = flow === null ? q.where('flow', 'is', null) : q.where('flow', '=', flow);
  const r = await q.orderBy('created_at', 'desc').executeTakeFirst();
  return r && toVerification(r);
}

export async function setSmsCode(trx: Db, id: string, hash: string, expiresAt: string): Promise<void> {
  await trx.updateTable('recovery_verifications').set({ sms_code_hash: hash, sms_expires_at: expiresAt }).where('id', '=', id).where('status', '=', 'second-factor').execute();
}

/** Moves a verification on from `from` to `to` (with the second factor passed, if given). @returns whether this call moved it */
export async function moveVerification(trx: Db, id: string, from: VerificationStatus, to: VerificationStatus, extra: { secondFactor?: SecondFactor; usedAt?: string } = {}): Promise<boolean> {
  const r = await trx
    .updateTable('recovery_verifications')
    .set({
      status: to, ...(extra.secondFactor ? { second_factor: extra.secondFactor } : {}), ...(extra.usedAt ? { used_at: extra.usedAt } : {}),
      ...(to !== 'second-factor' ? { sms_code_hash: null } : {}),
    })
    .where('id', '=', id)
    .where('status', '=', from)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Failed verifications of an account since a time (for the review's "after failed verifications"). */
export async function countFailedSince(db: Db, accountId: string, since: string): Promise<number> {
  const r = await db.selectFrom('recovery_verifications').select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId).where('status', '=', 'failed').where('created_at', '>=', since).executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function loadVerifyThrottle(db: Db, accountId: string): Promise<VerifyThrottle> {
  const r = await db.selectFrom('recovery_throttle').selectAll().where('account_id', '=', accountId).executeTakeFirst();
  return r ? { failures: Number(r.failures), lockouts: Number(r.lockouts), lockedUntil: r.locked_until } : NO_FAILURES;
}

/** Counts one failed verification (atomically). @returns the failures now counted */
export async function addVerifyFailure(trx: Db, accountId: string, at: string): Promise<number> {
  const r = await trx
    .insertInto('recovery_throttle')
    .values({ account_id: accountId, failures: 1, lockouts: 0, locked_until: null, updated_at: at })
    .onConflict((oc) => oc.column('account_id').doUpdateSet({ failures: sql<number>`recovery_throttle.failures + 1`, updated_at: at }))
    .returning('failures')
    .executeTakeFirstOrThrow();
  return Number(r.failures);
}

/** Locks verification if the failures reached `max` (exactly one caller wins). @returns whether this call locked it */
export async function lockVerifyIfDue(trx: Db, accountId: string, max: number, until: string, at: string): Promise<boolean> {
  const r = await trx
    .updateTable('recovery_throttle')
    .set({ failures: 0, lockouts: sql<number>`lockouts + 1`, locked_until: until, updated_at: at })
    .where('account_id', '=', accountId)
    .where('failures', '>=', max)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** A passed verification (or an operator's unlock) clears the count and any lock. */
export async function clearVerifyFailures(trx: Db, accountId: string, at: string): Promise<void> {
  await trx.updateTable('recovery_throttle').set({ failures: 0, locked_until: null, updated_at: at }).where('account_id', '=', accountId).execute();
}

/** A self-service counter row (see RecoverySelfServiceTable). */
export interface SelfServiceCounter {
  failures: number;
  windowStartedAt: string;
  challengeId: string | null;
  positions: ChallengePosition[] | null;
}

export async function loadSelfServiceCounter(db: Db, key: string): Promise<SelfServiceCounter | undefined> {
  const r = await db.selectFrom('recovery_self_service').selectAll().where('key', '=', key).executeTakeFirst();
  return r && {
    failures: Number(r.failures), windowStartedAt: r.window_started_at, challengeId: r.challenge_id,
    positions: r.positions === null ? null : (JSON.parse(r.positions) as ChallengePosition[]),
  };
}

/**
 * Counts one self-service failure (atomically); a window that started at or before
 * `windowCutoff` is over, so the count starts again at 1 from `at`.
 * @returns the failures now counted in the window, and when the window started
 */
export async function addSelfServiceFailure(trx: Db, key: string, at: string, windowCutoff: string): Promise<{ failures: number; windowStartedAt: string }> {
  const over = sql<boolean>`recovery_self_service.window_started_at <= ${windowCutoff}`;
  const r = await trx
    .insertInto('recovery_self_service')
    .values({ key, failures: 1, window_started_at: at, challenge_id: null, positions: null, updated_at: at })
    .onConflict((oc) => oc.column('key').doUpdateSet({
      failures: sql<number>`case when ${over} then 1 else recovery_self_service.failures + 1 end`,
      window_started_at: sql<string>`case when ${over} then ${at} else recovery_self_service.window_started_at end`,
      updated_at: at,
    }))
    .returning(['failures', 'window_started_at'])
    .executeTakeFirstOrThrow();
  return { failures: Number(r.failures), windowStartedAt: r.window_started_at };
}

/**
 * Replaces the self-service challenge of an address if it is still `expectedId` (null: the derived
 * one, never re-rolled). @returns whether this call replaced it (exactly one caller wins)
 */
export async function replaceSelfServiceChallenge(trx: Db, key: string, expectedId: string | null, next: { id: string; positions: ChallengePosition[] }, at: string): Promise<boolean> {
  await trx.insertInto('recovery_self_service')
    .values({ key, failures: 0, window_started_at: at, challenge_id: null, positions: null, updated_at: at })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const r = await trx.updateTable('recovery_self_service')
    .set({ challenge_id: next.id, positions: JSON.stringify(next.positions), updated_at: at })
    .where('key', '=', key)
    .where((eb) => (expectedId === null ? eb('challenge_id', 'is', null) : eb('challenge_id', '=', expectedId)))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
