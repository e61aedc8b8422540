import { randomBytes, randomUUID } from 'node:crypto';
import { recordAudit } from '../audit/audit.commands.js';
import { enqueueNotification } from '../platform/notify/outbox.js';
import { findAccount, findOrganisation, rolesOf } from '../directory/directory.repo.js';
import type { Account } from '../directory/directory.js';
import type { Ctx } from '../platform/context.js';
import { decryptSecret, deriveKey, encryptSecret, keyedHash } from '../platform/crypto/secrets.js';
import type { Db } from '../platform/db/db.js';
import { Conflict, Invalid, NotFound, Unauthenticated } from '../platform/errors/errors.js';
import { afterFailure, afterSuccess, isLocked } from '../signin/lockout.js';
import { findSession, insertSigninEvent, loadThrottle, revokeSession, saveThrottle } from '../signin/signin.repo.js';
import { renewSessionToken } from '../signin/signin.commands.js';
import { checkTotp, type MfaReason, mfaReasons, newRecoveryCodes, newTotpSecret, normaliseRecoveryCode, totpUri } from './mfa.js';
import {
  activateFactor, consumeRecoveryCode, deleteFactor, deletePendingFactors, type Factor, factorsOf, findFactor, insertFactor, recordTotpStep,
  renameFactor, replaceRecoveryCodes, unusedRecoveryCodeCount,
} from './mfa.repo.js';
import { totpSecretKey, useTotpCode } from './totp.commands.js';

export interface MfaKeys {
  secretKey: Buffer;
}

const totpKey = (k: MfaKeys): Buffer => totpSecretKey(k.secretKey);
const recoveryKey = (k: MfaKeys): Buffer => deriveKey(k.secretKey, 'recovery-codes');

function self(ctx: Ctx): NonNullable<Ctx['actor']> {
  if (!ctx.actor) throw new Unauthenticated();
  return ctx.actor;
}

/** Why an account must use MFA (empty: it need not). */
export async function mfaReasonsFor(db: Db, account: Account): Promise<MfaReason[]> {
  const org = await findOrganisation(db, account.organisationId, { all: true });
  return mfaReasons({
    businessArea: account.businessArea, highRiskAreas: org?.highRiskAreas ?? [], roles: await rolesOf(db, account.id),
    mfaRequired: account.mfaRequired, compromisedAt: account.compromisedAt,
  });
}

export interface MfaOverview {
  factors: Factor[];
  reasons: MfaReason[];
  recoveryCodesLeft: number;
}

/** The signed-in account's factors, whether MFA is required and why, and recovery codes left. */
export async function mfaOverview(db: Db, ctx: Ctx): Promise<MfaOverview> {
  const actor = self(ctx);
  const account = await findAccount(db, actor.accountId, { all: true });
  if (!account) throw new NotFound();
  return { factors: await factorsOf(db, account.id), reasons: await mfaReasonsFor(db, account), recoveryCodesLeft: await unusedRecoveryCodeCount(db, account.id) };
}

/**
 * Starts authenticator-app enrolment: a new secret, stored encrypted as a pending factor
 * (an earlier unfinished enrolment is discarded). @returns the secret and otpauth URI to show once
 */
export async function startTotpEnrolment(db: Db, ctx: Ctx, keys: MfaKeys, issuer: string): Promise<{ factorId: string; secret: string; uri: string }> {
  const actor = self(ctx);
  const secret = newTotpSecret();
  const factorId = randomUUID();
  await db.transaction().execute(async (trx) => {
    await deletePendingFactors(trx, actor.accountId);
    await insertFactor(trx, {
      id: factorId, accountId: actor.accountId, kind: 'totp', name: 'Authenticator app', status: 'pending', secretEnc: encryptSecret(totpKey(keys), secret),
      credentialId: null, publicKey: null, signCount: null, transports: [], createdAt: ctx.now.toISOString(),
    });
  });
  return { factorId, secret, uri: totpUri(secret, actor.email, issuer) };
}

/** The pending enrolment's secret again (when the page is shown again after a wrong code). */
export async function pendingTotp(db: Db, ctx: Ctx, keys: MfaKeys, factorId: string, issuer: string): Promise<{ factorId: string; secret: string; uri: string } | null> {
  const actor = self(ctx);
  const f = await findFactor(db, actor.accountId, factorId);
  if (!f || f.status !== 'pending' || !f.secretEnc) return null;
  const secret = decryptSecret(totpKey(keys), f.secretEnc);
  return { factorId, secret, uri: totpUri(secret, actor.email, issuer) };
}

/**
 * Completes enrolment only with a valid code. A session that was made to enrol becomes a
 * full session, renewed under a new id. The first factor of an account comes with fresh recovery codes.
 * @returns recovery codes to show once, when new ones were made; the renewed session's cookie value, if renewed
 * @throws Invalid (wrong code, bad name), NotFound (no such pending enrolment)
 */
export async function confirmTotpEnrolment(
  db: Db, ctx: Ctx, keys: MfaKeys, input: { sessionId: string; factorId: string; code: string; name: string },
): Promise<{ recoveryCodes: string[] | null; sessionToken: string | null }> {
  const actor = self(ctx);
  const f = await findFactor(db, actor.accountId, input.factorId);
  if (!f || f.status !== 'pending' || !f.secretEnc) throw new NotFound('That enrolment has expired. Start again.');
  const name = input.name.trim() || 'Authenticator app';
  if (name.length > 60) throw new Invalid('The name was not accepted.', ['Give the app a name of 60 characters or fewer.']);
  const step = checkTotp(decryptSecret(totpKey(keys), f.secretEnc), input.code, ctx.now, null);
  if (step === null) throw new Invalid('The code was not accepted.', ['Enter the 6-digit code your authenticator app shows now.']);
  const first = (await factorsOf(db, actor.accountId)).length === 0;
  const codes = first ? newRecoveryCodes(randomBytes) : null;
  const now = ctx.now.toISOString();
  const sessionToken = await db.transaction().execute(async (trx) => {
    await activateFactor(trx, f.id, now, step);
    await renameFactor(trx, actor.accountId, f.id, name);
    if (codes) await replaceRecoveryCodes(trx, actor.accountId, codes.map((c) => ({ id: randomUUID(), hash: keyedHash(recoveryKey(keys), normaliseRecoveryCode(c)) })), now);
    const session = await findSession(trx, input.sessionId);
    const token = session?.stage === 'enrol' ? await renewSessionToken(trx, input.sessionId, now, { stage: 'full', mfaAt: now }) : null;
    await recordAudit(trx, ctx, { action: 'mfa.totp.enrol', organisationId: actor.organisationId, target: `account:${actor.accountId}`, details: { factorId: f.id, name } });
    return token;
  });
  return { recoveryCodes: codes, sessionToken };
}

/** Replaces every recovery code with ten new ones. @returns the codes, shown once */
export async function regenerateRecoveryCodes(db: Db, ctx: Ctx, keys: MfaKeys): Promise<string[]> {
  const actor = self(ctx);
  if ((await factorsOf(db, actor.accountId)).length === 0) throw new Conflict('Set up an authenticator app or security key first.');
  const codes = newRecoveryCodes(randomBytes);
  await db.transaction().execute(async (trx) => {
    await replaceRecoveryCodes(trx, actor.accountId, codes.map((c) => ({ id: randomUUID(), hash: keyedHash(recoveryKey(keys), normaliseRecoveryCode(c)) })), ctx.now.toISOString());
    await recordAudit(trx, ctx, { action: 'mfa.recovery.regenerate', organisationId: actor.organisationId, target: `account:${actor.accountId}` });
  });
  return codes;
}

/**
 * Removes one of the account's own factors. The last factor of an account that must use
 * MFA cannot be removed. The account is told by email (whoever holds the session may not
 * be its owner). @throws NotFound, Conflict
 */
export async function removeFactor(db: Db, ctx: Ctx, keys: MfaKeys, factorId: string): Promise<void> {
  const actor = self(ctx);
  const factors = await factorsOf(db, actor.accountId);
  const f = factors.find((x) => x.id === factorId);
  if (!f) throw new NotFound();
  const account = await findAccount(db, actor.accountId, { all: true });
  if (factors.length === 1 && account && (await mfaReasonsFor(db, account)).length > 0) {
    throw new Conflict('This is your only way to pass multi-factor authentication, and your account must use it. Add another method first.');
  }
  await db.transaction().execute(async (trx) => {
    await deleteFactor(trx, actor.accountId, factorId);
    if (factors.length === 1) await replaceRecoveryCodes(trx, actor.accountId, [], ctx.now.toISOString());
    await recordAudit(trx, ctx, { action: `mfa.${f.kind}.remove`, organisationId: actor.organisationId, target: `account:${actor.accountId}`, details: { factorId, name: f.name } });
    if (account) {
      await enqueueNotification(trx, keys.secretKey, ctx.now, {
        channel: 'email', template: 'mfa/factor-removed', to: account.email, accountId: account.id, organisationId: account.organisationId,
        data: { displayName: account.displayName, kind: f.kind === 'totp' ? 'authenticator app' : 'security key or passkey', name: f.name, at: ctx.now.toISOString(), last: factors.length === 1 },
      });
    }
  });
}

export type SecondFactorStep = 'totp' | 'webauthn' | 'recovery';

/** The outcome of a second factor at sign-in: accepted or not, and the renewed session's cookie value when accepted. */
export interface SecondFactorResult {
  ok: boolean;
  sessionToken: string | null;
}

/**
 * The shared end of every second-factor check at sign-in: on success the session becomes
 * full under a new id and the lockout counter resets; on failure the failure counts towards
 * the lockout, and a lock ends the half-signed-in session.
 * @returns whether the factor was accepted, and the renewed session's cookie value when it was
 * @throws Unauthenticated when the session ended meanwhile
 */
export async function finishSecondFactor(
  db: Db, ctx: Ctx, input: { sessionId: string; accountId: string; organisationId: string; step: SecondFactorStep; ok: boolean; userAgent: string; deviceId: string | null; factorId?: string },
): Promise<SecondFactorResult> {
  const now = ctx.now.toISOString();
  const throttle = await loadThrottle(db, input.accountId);
  const locked = isLocked(throttle, ctx.now);
  const ok = input.ok && !locked;
  return db.transaction().execute(async (trx) => {
    let sessionToken: string | null = null;
    await insertSigninEvent(trx, {
      id: randomUUID(), account_id: input.accountId, organisation_id: input.organisationId, at: now, step: input.step,
      outcome: ok ? 'success' : locked ? 'locked' : 'failure', ip: ctx.ip ?? '', user_agent: input.userAgent, device_id: input.deviceId,
    });
    if (ok) {
      sessionToken = await renewSessionToken(trx, input.sessionId, now, { stage: 'full', mfaAt: now });
      await saveThrottle(trx, input.accountId, afterSuccess(), now);
    } else {
      const next = afterFailure(throttle, null, ctx.now);
      await saveThrottle(trx, input.accountId, next, now);
      if (isLocked(next, ctx.now)) await revokeSession(trx, input.sessionId, now);
    }
    await recordAudit(trx, ctx, {
      action: `signin.${input.step}`, outcome: ok ? 'success' : 'failure', organisationId: input.organisationId, target: `account:${input.accountId}`,
      details: { factorId: input.factorId ?? null, ...(locked ? { reason: 'locked' } : {}) },
    });
    return { ok, sessionToken };
  });
}

/** Checks an authenticator code for a session at the 'mfa' stage. Replays are refused. @throws as finishSecondFactor */
export async function verifyTotpAtSignin(db: Db, ctx: Ctx, keys: MfaKeys, input: { sessionId: string; code: string; userAgent: string; deviceId: string | null }): Promise<SecondFactorResult> {
  const actor = self(ctx);
  const matched = (await useTotpCode(db, keys.secretKey, actor.accountId, input.code, ctx.now)) ?? undefined;
  return finishSecondFactor(db, ctx, { ...input, accountId: actor.accountId, organisationId: actor.organisationId, step: 'totp', ok: matched !== undefined, factorId: matched?.id });
}

/** Uses a recovery code (once) for a session at the 'mfa' stage. @throws as finishSecondFactor */
export async function verifyRecoveryCodeAtSignin(db: Db, ctx: Ctx, keys: MfaKeys, input: { sessionId: string; code: string; userAgent: string; deviceId: string | null }): Promise<SecondFactorResult> {
  const actor = self(ctx);
  const clean = normaliseRecoveryCode(input.code);
  const ok = clean.length === 12 && (await consumeRecoveryCode(db, actor.accountId, keyedHash(recoveryKey(keys), clean), ctx.now.toISOString()));
  return finishSecondFactor(db, ctx, { ...input, accountId: actor.accountId, organisationId: actor.organisationId, step: 'recovery', ok });
}
