import { randomUUID } from 'node:crypto';
import { recordAudit } from '../audit/audit.commands.js';
import type { Account } from '../directory/directory.js';
import { normaliseEmail } from '../directory/directory.js';
import { authorizePlatformAdmin } from '../directory/directory.policy.js';
import { findAccount, findAccountByEmail, rolesOf } from '../directory/directory.repo.js';
import type { Actor, Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { Invalid, NotFound, Unauthenticated } from '../platform/errors/errors.js';
import { dummyHash, hashPassword, passwordProblems, verifyPassword } from './password.js';
import { API_TOKEN_PREFIX, hashSecret, newSecret, sessionIsLive, shouldTouch } from './signin.js';
import {
  findApiTokenByHash, findSession, insertApiToken, insertSession, revokeAccountSessions, revokeSession, setPassword, touchApiToken, touchSession,
} from './signin.repo.js';

export interface SessionPolicy {
  idleMinutes: number;
  absoluteHours: number;
}

/** The one message for every failed sign-in: it never says whether the account exists. */
export const SIGNIN_FAILED = 'Enter a correct email address and password.';

async function actorFor(db: Db, account: Account): Promise<Actor> {
  return { accountId: account.id, email: account.email, organisationId: account.organisationId, roles: await rolesOf(db, account.id) };
}

/**
 * Checks a password and opens a session. Unknown addresses cost the same argon2id
 * verification as known ones.
 * @returns the session cookie value (shown once, stored only as a hash)
 * @throws Unauthenticated with SIGNIN_FAILED, whatever the reason
 */
export async function signIn(
  db: Db, ctx: Ctx, policy: SessionPolicy, input: { email: string; password: string; userAgent: string },
): Promise<{ token: string; account: Account }> {
  const email = normaliseEmail(input.email);
  const account = await findAccountByEmail(db, email);
  const ok = await verifyPassword(account?.passwordHash ?? (await dummyHash()), input.password);
  if (!account || !account.passwordHash || !ok || account.status !== 'active') {
    await db.transaction().execute((trx) =>
      recordAudit(trx, ctx, {
        action: 'signin.password',
        outcome: 'failure',
        organisationId: account?.organisationId ?? null,
        target: account ? `account:${account.id}` : null,
        details: { reason: !account ? 'unknown-account' : account.status !== 'active' ? `status-${account.status}` : 'wrong-password' },
      }),
    );
    throw new Unauthenticated(SIGNIN_FAILED);
  }
  const token = newSecret();
  const now = ctx.now.toISOString();
  await db.transaction().execute(async (trx) => {
    await insertSession(trx, {
      id: hashSecret(token), accountId: account.id, createdAt: now, lastSeenAt: now,
      expiresAt: new Date(ctx.now.getTime() + policy.absoluteHours * 3_600_000).toISOString(),
      ip: ctx.ip ?? '', userAgent: input.userAgent,
    });
    await recordAudit(trx, { ...ctx, actor: await actorFor(trx, account) }, {
      action: 'signin.password', organisationId: account.organisationId, target: `account:${account.id}`,
    });
  });
  const { passwordHash: _omit, ...plain } = account;
  return { token, account: plain };
}

export interface ResolvedSession {
  sessionId: string;
  account: Account;
  actor: Actor;
}

/** The live session for a cookie value, or null (expired, idle, revoked, or account not active). */
export async function resolveSession(db: Db, token: string, now: Date, policy: SessionPolicy): Promise<ResolvedSession | null> {
  if (!token || token.length > 200) return null;
  const session = await findSession(db, hashSecret(token));
  if (!session || !sessionIsLive(session, now, policy.idleMinutes)) return null;
  const account = await findAccount(db, session.accountId, { all: true });
  if (!account || account.status !== 'active') return null;
  if (shouldTouch(session.lastSeenAt, now)) await touchSession(db, session.id, now.toISOString());
  return { sessionId: session.id, account, actor: await actorFor(db, account) };
}

export async function signOut(db: Db, ctx: Ctx, sessionId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await revokeSession(trx, sessionId, ctx.now.toISOString());
    if (ctx.actor) await recordAudit(trx, ctx, { action: 'signin.signout', organisationId: ctx.actor.organisationId, target: `account:${ctx.actor.accountId}` });
  });
}

/**
 * Changes the signed-in account's own password. Every other session of the account is
 * revoked; the current one continues.
 * @throws Invalid with the rules the new password breaks, or when the current one is wrong
 */
export async function changeOwnPassword(
  db: Db, ctx: Ctx, sessionId: string, input: { current: string; next: string; confirm: string },
): Promise<void> {
  if (!ctx.actor) throw new Unauthenticated();
  const account = await findAccountByEmail(db, ctx.actor.email);
  if (!account?.passwordHash) throw new Unauthenticated();
  const problems = passwordProblems(input.next, account.email);
  if (input.next !== input.confirm) problems.push('The new passwords do not match.');
  if (input.next === input.current) problems.push('The new password must be different from the current one.');
  if (!(await verifyPassword(account.passwordHash, input.current))) problems.unshift('Your current password is not correct.');
  if (problems.length) throw new Invalid('The password was not changed.', problems);
  const hash = await hashPassword(input.next);
  const now = ctx.now.toISOString();
  await db.transaction().execute(async (trx) => {
    await setPassword(trx, account.id, hash, now, false);
    await revokeAccountSessions(trx, account.id, now, sessionId);
    await recordAudit(trx, ctx, { action: 'account.password.change', organisationId: account.organisationId, target: `account:${account.id}` });
  });
}

/**
 * Issues an API token for an account. The CLI operator may issue for anyone; in the
 * portal only platform admins may.
 * @returns the token, shown once
 * @throws NotFound, Forbidden
 */
export async function createApiToken(db: Db, ctx: Ctx, input: { email: string; name: string }): Promise<{ token: string; id: string }> {
  authorizePlatformAdmin(ctx.actor);
  const name = input.name.trim();
  if (!name || name.length > 100) throw new Invalid('Give the token a name of 1–100 characters.');
  const account = await findAccountByEmail(db, normaliseEmail(input.email));
  if (!account) throw new NotFound(`No account ${normaliseEmail(input.email)}`);
  const token = API_TOKEN_PREFIX + newSecret();
  const id = randomUUID();
  await db.transaction().execute(async (trx) => {
    await insertApiToken(trx, { id, accountId: account.id, name, tokenHash: hashSecret(token), createdAt: ctx.now.toISOString() });
    await recordAudit(trx, ctx, { action: 'token.create', organisationId: account.organisationId, target: `account:${account.id}`, details: { tokenId: id, name } });
  });
  return { token, id };
}

/** The actor an API token acts as, or null when unknown, revoked, or the account is not active. */
export async function resolveApiToken(db: Db, token: string, now: Date): Promise<Actor | null> {
  if (!token.startsWith(API_TOKEN_PREFIX) || token.length > 200) return null;
  const row = await findApiTokenByHash(db, hashSecret(token));
  if (!row || row.revokedAt) return null;
  const account = await findAccount(db, row.accountId, { all: true });
  if (!account || account.status !== 'active') return null;
  if (!row.lastUsedAt || shouldTouch(row.lastUsedAt, now)) await touchApiToken(db, row.id, now.toISOString());
  return actorFor(db, account);
}
