import type { Db } from '../platform/db/db.js';

/** Sessions and API tokens: the only SQL of the sign-in capability. */

export interface SessionRow {
  id: string;
  accountId: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  ip: string;
  userAgent: string;
  revokedAt: string | null;
}

export async function insertSession(trx: Db, s: Omit<SessionRow, 'revokedAt'>): Promise<void> {
  await trx
    .insertInto('sessions')
    .values({ id: s.id, account_id: s.accountId, created_at: s.createdAt, last_seen_at: s.lastSeenAt, expires_at: s.expiresAt, ip: s.ip, user_agent: s.userAgent.slice(0, 500), revoked_at: null })
    .execute();
}

export async function findSession(db: Db, id: string): Promise<SessionRow | undefined> {
  const r = await db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
  return r && { id: r.id, accountId: r.account_id, createdAt: r.created_at, lastSeenAt: r.last_seen_at, expiresAt: r.expires_at, ip: r.ip, userAgent: r.user_agent, revokedAt: r.revoked_at };
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
}

export async function insertApiToken(trx: Db, t: { id: string; accountId: string; name: string; tokenHash: string; createdAt: string }): Promise<void> {
  await trx.insertInto('api_tokens').values({ id: t.id, account_id: t.accountId, name: t.name, token_hash: t.tokenHash, created_at: t.createdAt, last_used_at: null, revoked_at: null }).execute();
}

export async function findApiTokenByHash(db: Db, tokenHash: string): Promise<ApiTokenRow | undefined> {
  const r = await db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
  return r && { id: r.id, accountId: r.account_id, name: r.name, createdAt: r.created_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at };
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
