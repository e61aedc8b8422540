import { randomUUID } from 'node:crypto';
import { recordAudit } from '../audit/audit.commands.js';
import type { Account } from '../directory/directory.js';
import { normaliseEmail } from '../directory/directory.js';
import { findAccount, findAccountByEmail, findOrganisation, rolesOf } from '../directory/directory.repo.js';
import { mfaReasons } from '../mfa/mfa.js';
import { factorsOf } from '../mfa/mfa.repo.js';
import type { Actor, Ctx } from '../platform/context.js';
import { deriveKey, keyedHash } from '../platform/crypto/secrets.js';
import type { Db } from '../platform/db/db.js';
import { Invalid, Unauthenticated } from '../platform/errors/errors.js';
import { isPasswordExpired } from '../reminders/reminders.js';
import { passwordPolicyOf, requirePasswordChange } from '../reminders/reminders.repo.js';
import { afterFailure, afterSuccess, isLocked } from './lockout.js';
import { dummyHash, hashPassword, passwordProblems, verifyPassword } from './password.js';
import { hashSecret, newSecret, privilegeFingerprint, sessionIsLive, shouldTouch } from './signin.js';
import {
  findSession, insertSession, insertSigninEvent, loadThrottle, renewSession, revokeAccountSessions, revokeSession, saveThrottle, type SessionStage, setPassword, touchSession,
} from './signin.repo.js';

export interface SessionPolicy {
  idleMinutes: number;
  absoluteHours: number;
}

export interface SigninDeps {
  policy: SessionPolicy;
  /** The configured master key: lockout MACs are keyed with a key derived from it. */
  secretKey: Buffer;
}

/** The one message for every failed sign-in: never says whether the account exists or is locked. */
export const SIGNIN_FAILED = 'Enter a correct email address and password. After repeated failures, sign-in is paused for a few minutes.';

export async function actorFor(db: Db, account: Account): Promise<Actor> {
  return { accountId: account.id, email: account.email, organisationId: account.organisationId, roles: await rolesOf(db, account.id) };
}

/** Whether the account must use MFA (needs its organisation's high-risk areas and its roles). */
export async function mfaRequiredFor(db: Db, account: Account): Promise<boolean> {
  const org = await findOrganisation(db, account.organisationId, { all: true });
  const reasons = mfaReasons({
    businessArea: account.businessArea, highRiskAreas: org?.highRiskAreas ?? [], roles: await rolesOf(db, account.id),
    mfaRequired: account.mfaRequired, compromisedAt: account.compromisedAt,
  });
  return reasons.length > 0;
}

/**
 * Checks a password and opens a session at the right stage: 'mfa' when the account has
 * factors (it must pass one), 'enrol' when it must use MFA and has none, else 'full'.
 * Always a new session with a new id: a session the browser held before (`replacesSessionId`)
 * is revoked with it.
 * Unknown addresses and locked accounts cost the same argon2id verification and get the
 * same answer as a wrong password. Every attempt is recorded in the sign-in history.
 * @returns the session cookie value (shown once, stored only as a hash)
 * @throws Unauthenticated with SIGNIN_FAILED, whatever the reason
 */
export async function signIn(
  db: Db, ctx: Ctx, deps: SigninDeps,
  input: { email: string; password: string; userAgent: string; deviceId: string | null; replacesSessionId?: string | null },
): Promise<{ token: string; account: Account; stage: SessionStage }> {
  const email = normaliseEmail(input.email);
  const account = await findAccountByEmail(db, email);
  const throttle = account ? await loadThrottle(db, account.id) : null;
  const locked = throttle !== null && isLocked(throttle, ctx.now);
  const ok = await verifyPassword(account?.passwordHash ?? (await dummyHash()), input.password);
  const now = ctx.now.toISOString();
  const event = { ip: ctx.ip ?? '', user_agent: input.userAgent, device_id: input.deviceId, at: now, step: 'password' as const };
  if (!account || !account.passwordHash || !ok || locked || account.status !== 'active') {
    const reason = !account ? 'unknown-account' : locked ? 'locked' : account.status !== 'active' ? `status-${account.status}` : 'wrong-password';
    await db.transaction().execute(async (trx) => {
      if (account && throttle && reason === 'wrong-password') {
        const mac = keyedHash(deriveKey(deps.secretKey, 'signin-failure'), `${account.id}\n${input.password}`);
        const next = afterFailure(throttle, mac, ctx.now);
        await saveThrottle(trx, account.id, next, now);
        if (isLocked(next, ctx.now)) {
          await recordAudit(trx, ctx, { action: 'signin.locked', organisationId: account.organisationId, target: `account:${account.id}`, outcome: 'failure', details: { until: next.lockedUntil, lockouts: next.lockouts } });
        }
      }
      await insertSigninEvent(trx, { ...event, id: randomUUID(), account_id: account?.id ?? null, organisation_id: account?.organisationId ?? null, outcome: locked ? 'locked' : 'failure' });
      await recordAudit(trx, ctx, {
        action: 'signin.password', outcome: 'failure', organisationId: account?.organisationId ?? null, target: account ? `account:${account.id}` : null, details: { reason },
      });
    });
    throw new Unauthenticated(SIGNIN_FAILED);
  }
  const { passwordHash: _omit, ...plain } = account;
  // A password past its organisation's lifetime must be changed now (the auth hook then
  // allows only the change page); the flag stays until it is changed.
  const policy = plain.mustChangePassword ? undefined : await passwordPolicyOf(db, account.id);
  const expired = policy !== undefined && isPasswordExpired(policy.passwordChangedAt, policy.lifetimeDays, ctx.now);
  if (expired) plain.mustChangePassword = true;
  const hasFactors = (await factorsOf(db, account.id)).length > 0;
  const stage: SessionStage = hasFactors ? 'mfa' : (await mfaRequiredFor(db, plain)) ? 'enrol' : 'full';
  const token = newSecret();
  const privileges = privilegeFingerprint(await rolesOf(db, account.id));
  await db.transaction().execute(async (trx) => {
    if (input.replacesSessionId) await revokeSession(trx, input.replacesSessionId, now);
    await insertSession(trx, {
      id: hashSecret(token), accountId: account.id, createdAt: now, lastSeenAt: now,
      expiresAt: new Date(ctx.now.getTime() + deps.policy.absoluteHours * 3_600_000).toISOString(),
      ip: ctx.ip ?? '', userAgent: input.userAgent, stage, deviceId: input.deviceId, mfaAt: null, privileges,
    });
    // The counter resets only when sign-in is complete: a correct password must not
    // clear failures of the second factor.
    if (stage !== 'mfa') await saveThrottle(trx, account.id, afterSuccess(), now);
    if (expired) {
      await requirePasswordChange(trx, account.id, now);
      await recordAudit(trx, ctx, { action: 'account.password.expired', organisationId: account.organisationId, target: `account:${account.id}`, details: { lifetimeDays: policy!.lifetimeDays } });
    }
    await insertSigninEvent(trx, { ...event, id: randomUUID(), account_id: account.id, organisation_id: account.organisationId, outcome: 'success' });
    await recordAudit(trx, { ...ctx, actor: await actorFor(trx, plain) }, {
      action: 'signin.password', organisationId: account.organisationId, target: `account:${account.id}`, details: { stage },
    });
  });
  return { token, account: plain, stage };
}

/**
 * Renews a session under a new cookie value, at a later stage if given (every stage
 * change and privilege change calls it, so that a session id known before the change,
 * for instance one planted in the browser, is worth nothing after it). Runs in the
 * caller's transaction. @returns the new cookie value (stored only as a hash)
 * @throws Unauthenticated when the session is no longer live
 */
export async function renewSessionToken(
  trx: Db, sessionId: string, now: string, changes: { stage?: SessionStage; mfaAt?: string; privileges?: string } = {},
): Promise<string> {
  const token = newSecret();
  if (!(await renewSession(trx, sessionId, hashSecret(token), now, changes))) throw new Unauthenticated();
  return token;
}

export interface ResolvedSession {
  sessionId: string;
  /** Set when the account's privileges changed since the id was issued: the session now goes by this new cookie value. */
  renewedToken: string | null;
  stage: SessionStage;
  deviceId: string | null;
  account: Account;
  actor: Actor;
}

/**
 * The live session for a cookie value, or null (expired, idle, revoked, or account not
 * active). When the account's roles changed since the session's id was issued, the
 * session is renewed under a new id first (`renewedToken`; the old value stops working),
 * so that a privilege change, like a stage change, never keeps a known id.
 */
export async function resolveSession(db: Db, token: string, now: Date, policy: SessionPolicy): Promise<ResolvedSession | null> {
  if (!token || token.length > 200) return null;
  const session = await findSession(db, hashSecret(token));
  if (!session || !sessionIsLive(session, now, policy.idleMinutes)) return null;
  const account = await findAccount(db, session.accountId, { all: true });
  if (!account || account.status !== 'active') return null;
  const actor = await actorFor(db, account);
  const privileges = privilegeFingerprint(actor.roles);
  let sessionId = session.id;
  let renewedToken: string | null = null;
  if (session.privileges !== privileges) {
    // Another request may have renewed it a moment ago: then this old value is simply dead.
    renewedToken = await db.transaction().execute((trx) => renewSessionToken(trx, session.id, now.toISOString(), { privileges })).catch((err: unknown) => {
      if (err instanceof Unauthenticated) return null;
      throw err;
    });
    if (!renewedToken) return null;
    sessionId = hashSecret(renewedToken);
  } else if (shouldTouch(session.lastSeenAt, now)) {
    await touchSession(db, session.id, now.toISOString());
  }
  return { sessionId, renewedToken, stage: session.stage, deviceId: session.deviceId, account, actor };
}

export async function signOut(db: Db, ctx: Ctx, sessionId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await revokeSession(trx, sessionId, ctx.now.toISOString());
    if (ctx.actor) await recordAudit(trx, ctx, { action: 'signin.signout', organisationId: ctx.actor.organisationId, target: `account:${ctx.actor.accountId}` });
  });
}

/**
 * Changes the signed-in account's own password. Every other session of the account is
 * revoked; the current one continues under a new id (a session that had to change its
 * password reaches everything after the change).
 * @returns the current session's new cookie value
 * @throws Invalid with the rules the new password breaks, or when the current one is wrong
 */
export async function changeOwnPassword(
  db: Db, ctx: Ctx, sessionId: string, input: { current: string; next: string; confirm: string },
): Promise<string> {
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
  return db.transaction().execute(async (trx) => {
    await setPassword(trx, account.id, hash, now, false);
    await revokeAccountSessions(trx, account.id, now, sessionId);
    const token = await renewSessionToken(trx, sessionId, now);
    await recordAudit(trx, ctx, { action: 'account.password.change', organisationId: account.organisationId, target: `account:${account.id}` });
    return token;
  });
}
