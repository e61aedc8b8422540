import type { Selectable } from 'kysely';
import type { Db } from '../platform/db/db.js';
import type { ApiTokenTable, SessionTable, SigninEventTable } from './signin.tables.js';
import { FRESH, type ThrottleState } from './lockout.js';

/** Sessions and API tokens: the only SQL of the sign-in capability. */

export type SessionStage = 'mfa' | 'enrol' | 'full';

export interface SessionRow {
  id: string;
  accountId: string;
  stage: SessionStage;
  deviceId: string | null;
  mfaAt: string | null;
  challenge: string | null;
  challengeExpiresAt: string | null;
  /** Fingerprint of the account's roles when the id was issued (null: before fingerprints were kept). */
  privileges: string | null;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  ip: string;
  userAgent: string;
  revokedAt: string | null;
}

export async function insertSession(trx: Db, s: Omit<SessionRow, 'revokedAt' | 'challenge' | 'challengeExpiresAt' | 'privileges'> & { privileges?: string | null }): Promise<void> {
  await trx
    .insertInto('sessions')
    .values({
      id: s.id, account_id: s.accountId, created_at: s.createdAt, last_seen_at: s.lastSeenAt, expires_at: s.expiresAt, ip: s.ip,
      user_agent: s.userAgent.slice(0, 500), revoked_at: null, stage: s.stage, device_id: s.deviceId, mfa_at: s.mfaAt, privileges: s.privileges ?? null,
    })
    .execute();
}

/**
 * Renews a live session under a new id (the hash of a new cookie value), at a later stage
 * if given: the old row is revoked (its id no longer authenticates) and a copy with the new
 * id takes its place, keeping its creation and expiry. Run it in the transaction of the
 * change that calls for it. @returns false when the old session was not live (nothing changed)
 */
export async function renewSession(
  trx: Db, id: string, newId: string, at: string, changes: { stage?: SessionStage; mfaAt?: string; privileges?: string } = {},
): Promise<boolean> {
  const r = await trx.updateTable('sessions').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) return false;
  const old = (await findSession(trx, id))!;
  await insertSession(trx, {
    id: newId, accountId: old.accountId, createdAt: old.createdAt, lastSeenAt: at, expiresAt: old.expiresAt, ip: old.ip, userAgent: old.userAgent,
    stage: changes.stage ?? old.stage, deviceId: old.deviceId, mfaAt: changes.mfaAt ?? old.mfaAt, privileges: changes.privileges ?? old.privileges,
  });
  return true;
}

/** Keeps a WebAuthn challenge with the session until it is answered or expires. */
export async function setSessionChallenge(trx: Db, id: string, challenge: string | null, expiresAt: string | null): Promise<void> {
  await trx.updateTable('sessions').set({ challenge, challenge_expires_at: expiresAt }).where('id', '=', id).execute();
}

/** Clears the challenge if it is still this one. @returns whether this call cleared it (exactly once) */
export async function clearSessionChallenge(trx: Db, id: string, challenge: string): Promise<boolean> {
  const r = await trx.updateTable('sessions').set({ challenge: null, challenge_expires_at: null }).where('id', '=', id).where('challenge', '=', challenge).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Live sessions of an account, newest first. */
export async function listLiveSessions(db: Db, accountId: string, now: string): Promise<SessionRow[]> {
  const rows = await db.selectFrom('sessions').selectAll().where('account_id', '=', accountId).where('revoked_at', 'is', null).where('expires_at', '>', now).orderBy('last_seen_at', 'desc').execute();
  return rows.map(toSession);
}

export async function findSession(db: Db, id: string): Promise<SessionRow | undefined> {
  const r = await db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
  return r && toSession(r);
}

function toSession(r: Selectable<SessionTable>): SessionRow {
  return {
    id: r.id, accountId: r.account_id, createdAt: r.created_at, lastSeenAt: r.last_seen_at, expiresAt: r.expires_at, ip: r.ip, userAgent: r.user_agent,
    revokedAt: r.revoked_at, stage: r.stage, deviceId: r.device_id, mfaAt: r.mfa_at, challenge: r.challenge, challengeExpiresAt: r.challenge_expires_at,
    privileges: r.privileges,
  };
}

export async function touchSession(db: Db, id: string, at: string): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: at }).where('id', '=', id).execute();
}

export async function revokeSession(db: Db, id: string, at: string): Promise<void> {
  await db.updateTable('sessions').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).execute();
}

/** Revokes every live session of an account (but `exceptId`, if given); returns how many. */
export async function revokeAccountSessions(trx: Db, accountId: string, at: string, exceptId?: string): Promise<number> {
  let q = trx.updateTable('sessions').set({ revoked_at: at }).where('account_id', '=', accountId).where('revoked_at', 'is', null);
  if (exceptId) q = q.where('id', '!=', exceptId);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export interface ApiTokenRow {
  id: string;
  accountId: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** Minted for automation: works although the account must use MFA and has no factor. */
  allowWithoutMfa: boolean;
}

function toApiToken(r: Selectable<ApiTokenTable>): ApiTokenRow {
  return { id: r.id, accountId: r.account_id, name: r.name, createdAt: r.created_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at, allowWithoutMfa: r.allow_without_mfa === 1 };
}

export async function insertApiToken(trx: Db, t: { id: string; accountId: string; name: string; tokenHash: string; createdAt: string; allowWithoutMfa?: boolean }): Promise<void> {
  await trx.insertInto('api_tokens').values({
    id: t.id, account_id: t.accountId, name: t.name, token_hash: t.tokenHash, created_at: t.createdAt, last_used_at: null, revoked_at: null, allow_without_mfa: t.allowWithoutMfa ? 1 : 0,
  }).execute();
}

export async function findApiTokenByHash(db: Db, tokenHash: string): Promise<ApiTokenRow | undefined> {
  const r = await db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
  return r && toApiToken(r);
}

/** The account's tokens that are not revoked, oldest first. */
export async function liveApiTokensOf(db: Db, accountId: string): Promise<ApiTokenRow[]> {
  const rows = await db.selectFrom('api_tokens').selectAll().where('account_id', '=', accountId).where('revoked_at', 'is', null).orderBy('created_at').orderBy('id').execute();
  return rows.map(toApiToken);
}

export async function touchApiToken(db: Db, id: string, at: string): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
}

export async function revokeAccountApiTokens(trx: Db, accountId: string, at: string): Promise<number> {
  const r = await trx.updateTable('api_tokens').set({ revoked_at: at }).where('account_id', '=', accountId).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function setPassword(trx: Db, accountId: string, passwordHash: string, at: string, mustChange: boolean): Promise<void> {
  await trx
    .updateTable('accounts')
    .set({ password_hash: passwordHash, password_changed_at: at, must_change_password: mustChange ? 1 : 0, updated_at: at })
    .where('id', '=', accountId)
    .execute();
}

export async function loadThrottle(db: Db, accountId: string): Promise<ThrottleState> {
  const r = await db.selectFrom('signin_throttle').selectAll().where('account_id', '=', accountId).executeTakeFirst();
  return r ? { failures: r.failures, lockouts: r.lockouts, lockedUntil: r.locked_until, lastFailureMac: r.last_failure_mac } : FRESH;
}

export async function saveThrottle(trx: Db, accountId: string, s: ThrottleState, at: string): Promise<void> {
  const values = { failures: s.failures, lockouts: s.lockouts, locked_until: s.lockedUntil, last_failure_mac: s.lastFailureMac, updated_at: at };
  await trx
    .insertInto('signin_throttle')
    .values({ account_id: accountId, ...values })
    .onConflict((oc) => oc.column('account_id').doUpdateSet(values))
    .execute();
}

export type SigninEvent = Omit<SigninEventTable, 'user_agent'> & { user_agent: string };

/** Every sign-in step, success or failure, for history and "devices recently used". */
export async function insertSigninEvent(trx: Db, e: SigninEvent): Promise<void> {
  await trx.insertInto('signin_events').values({ ...e, user_agent: e.user_agent.slice(0, 500) }).execute();
}
