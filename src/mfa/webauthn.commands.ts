import { randomBytes, randomUUID } from 'node:crypto';
import {
  type AuthenticationResponseJSON, generateAuthenticationOptions, generateRegistrationOptions, type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON, type RegistrationResponseJSON, verifyAuthenticationResponse, verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { isoBase64URL } from '@simplewebauthn/server/helpers';
import { recordAudit } from '../audit/audit.commands.js';
import type { Ctx } from '../platform/context.js';
import { deriveKey, keyedHash } from '../platform/crypto/secrets.js';
import type { Db } from '../platform/db/db.js';
import { Conflict, Invalid, NotFound, Unauthenticated } from '../platform/errors/errors.js';
import { clearSessionChallenge, findSession, setSessionChallenge } from '../signin/signin.repo.js';
import { renewSessionToken } from '../signin/signin.commands.js';
import { finishSecondFactor, type MfaKeys } from './mfa.commands.js';
import { newRecoveryCodes, normaliseRecoveryCode } from './mfa.js';
import { advanceWebauthnCounter, factorsOf, findFactor, findFactorByCredentialId, insertFactor, renameFactor, replaceRecoveryCodes } from './mfa.repo.js';
import { challengeExpiry, cleanKeyName, liveChallenge, type RelyingParty, signCountAcceptable } from './webauthn.js';

/**
 * Security keys and passkeys: registration on the Security page (or as the enrolment an
 * account owes), and their use as the second factor at sign-in. Every ceremony answers a
 * challenge kept with the caller's own session, used once, for five minutes.
 */

// The same derivation as mfa.commands.ts, so codes made here check there.
const recoveryKey = (k: MfaKeys): Buffer => deriveKey(k.secretKey, 'recovery-codes');

function self(ctx: Ctx): NonNullable<Ctx['actor']> {
  if (!ctx.actor) throw new Unauthenticated();
  return ctx.actor;
}

/** The session's pending challenge, which is cleared now: a response is checked against it at most once. */
async function takeChallenge(db: Db, ctx: Ctx, accountId: string, sessionId: string): Promise<string | null> {
  const session = await findSession(db, sessionId);
  if (!session || session.accountId !== accountId || session.revokedAt) return null;
  const challenge = liveChallenge(session, ctx.now);
  if (!session.challenge) return null;
  // Only the request that clears this very challenge may use it: of two concurrent
  // answers to one challenge, exactly one wins, whatever the key's counter does.
  const won = await clearSessionChallenge(db, sessionId, session.challenge);
  return won ? challenge : null;
}

async function keepChallenge(db: Db, ctx: Ctx, accountId: string, sessionId: string, challenge: string): Promise<void> {
  const session = await findSession(db, sessionId);
  if (!session || session.accountId !== accountId) throw new Unauthenticated();
  await setSessionChallenge(db, sessionId, challenge, challengeExpiry(ctx.now));
}

const webauthnKeys = async (db: Db, accountId: string) => (await factorsOf(db, accountId)).filter((f) => f.kind === 'webauthn' && f.credentialId);

/**
 * Options for registering a new key to the signed-in account (its existing keys are
 * excluded); the challenge is kept with the session. @throws Unauthenticated
 */
export async function startWebauthnRegistration(db: Db, ctx: Ctx, input: { sessionId: string; rp: RelyingParty; displayName: string }): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const actor = self(ctx);
  const options = await generateRegistrationOptions({
    rpName: input.rp.name, rpID: input.rp.id, userName: actor.email, userDisplayName: input.displayName,
    userID: new TextEncoder().encode(actor.accountId), attestationType: 'none',
    excludeCredentials: (await webauthnKeys(db, actor.accountId)).map((f) => ({ id: f.credentialId!, transports: f.transports })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
  });
  await keepChallenge(db, ctx, actor.accountId, input.sessionId, options.challenge);
  return options;
}

/**
 * Verifies a registration against the session's challenge and stores the key. Like an
 * authenticator app, the account's first factor comes with recovery codes, and a session
 * that owed an enrolment becomes full, renewed under a new id.
 * @returns the new factor's id, recovery codes to show once when new ones were made, and the renewed session's cookie value if renewed
 * @throws Invalid (no or expired challenge, failed verification, bad name), Conflict (key already registered)
 */
export async function finishWebauthnRegistration(
  db: Db, ctx: Ctx, keys: MfaKeys, input: { sessionId: string; rp: RelyingParty; response: Record<string, unknown>; name: string },
): Promise<{ factorId: string; recoveryCodes: string[] | null; sessionToken: string | null }> {
  const actor = self(ctx);
  const name = cleanKeyName(input.name);
  const challenge = await takeChallenge(db, ctx, actor.accountId, input.sessionId);
  if (!challenge) throw new Invalid('No live registration challenge.', ['The request to your security key expired. Try again.']);
  let verified;
  try {
    verified = await verifyRegistrationResponse({
      response: input.response as unknown as RegistrationResponseJSON, expectedChallenge: challenge, expectedOrigin: input.rp.origin, expectedRPID: input.rp.id,
      requireUserVerification: false,
    });
  } catch (err) {
    // The library throws for every malformed or mismatched response: that is the user's input, not our fault.
    throw new Invalid(`WebAuthn registration refused: ${err instanceof Error ? err.message : String(err)}`, ['Your security key could not be registered. Try again.']);
  }
  if (!verified.verified) throw new Invalid('WebAuthn registration not verified.', ['Your security key could not be registered. Try again.']);
  const cred = verified.registrationInfo.credential;
  if (await findFactorByCredentialId(db, cred.id)) throw new Conflict('This security key is already registered.');

  const first = (await factorsOf(db, actor.accountId)).length === 0;
  const codes = first ? newRecoveryCodes(randomBytes) : null;
  const factorId = randomUUID();
  const now = ctx.now.toISOString();
  const sessionToken = await db.transaction().execute(async (trx) => {
    await insertFactor(trx, {
      id: factorId, accountId: actor.accountId, kind: 'webauthn', name, status: 'active', secretEnc: null, credentialId: cred.id,
      publicKey: isoBase64URL.fromBuffer(cred.publicKey), signCount: cred.counter, transports: cred.transports ?? [], createdAt: now,
    });
    if (codes) await replaceRecoveryCodes(trx, actor.accountId, codes.map((c) => ({ id: randomUUID(), hash: keyedHash(recoveryKey(keys), normaliseRecoveryCode(c)) })), now);
    const session = await findSession(trx, input.sessionId);
    const token = session?.stage === 'enrol' ? await renewSessionToken(trx, input.sessionId, now, { stage: 'full', mfaAt: now }) : null;
    await recordAudit(trx, ctx, { action: 'mfa.webauthn.enrol', organisationId: actor.organisationId, target: `account:${actor.accountId}`, details: { factorId, name } });
    return token;
  });
  return { factorId, recoveryCodes: codes, sessionToken };
}

/** Renames one of the signed-in account's own keys. @throws NotFound (not theirs, or not a key), Invalid (bad name) */
export async function renameWebauthnKey(db: Db, ctx: Ctx, factorId: string, newName: string): Promise<void> {
  const actor = self(ctx);
  const f = await findFactor(db, actor.accountId, factorId);
  if (!f || f.kind !== 'webauthn' || f.status !== 'active') throw new NotFound();
  const name = cleanKeyName(newName);
  await db.transaction().execute(async (trx) => {
    await renameFactor(trx, actor.accountId, factorId, name);
    await recordAudit(trx, ctx, { action: 'mfa.webauthn.rename', organisationId: actor.organisationId, target: `account:${actor.accountId}`, details: { factorId, from: f.name, name } });
  });
}

/** One of the account's own keys, for the rename page. @throws NotFound */
export async function ownWebauthnKey(db: Db, ctx: Ctx, factorId: string): Promise<{ id: string; name: string }> {
  const actor = self(ctx);
  const f = await findFactor(db, actor.accountId, factorId);
  if (!f || f.kind !== 'webauthn' || f.status !== 'active') throw new NotFound();
  return { id: f.id, name: f.name };
}

/**
 * Options for signing in with one of the account's keys (only its keys are allowed);
 * the challenge is kept with the session. @throws Conflict when the account has no key
 */
export async function startWebauthnSignin(db: Db, ctx: Ctx, input: { sessionId: string; rp: RelyingParty }): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const actor = self(ctx);
  const mine = await webauthnKeys(db, actor.accountId);
  if (mine.length === 0) throw new Conflict('This account has no security key.');
  const options = await generateAuthenticationOptions({
    rpID: input.rp.id, userVerification: 'preferred', allowCredentials: mine.map((f) => ({ id: f.credentialId!, transports: f.transports })),
  });
  await keepChallenge(db, ctx, actor.accountId, input.sessionId, options.challenge);
  return options;
}

export type WebauthnRefusal = 'no-challenge' | 'unknown-key' | 'bad-signature' | 'counter' | 'locked';

/**
 * Checks a key's answer for a session at the 'mfa' stage: the challenge must be the
 * session's own and live, the key must belong to the session's account, the signature
 * must verify and the counter must move forward (a counter that goes back is refused and
 * audited as a possible cloned key). Every outcome goes through finishSecondFactor, so it
 * counts towards the lockout and is recorded like any other factor.
 * @returns whether the key was accepted, and why not; the renewed session's cookie value when it was
 */
export async function verifyWebauthnAtSignin(
  db: Db, ctx: Ctx, input: { sessionId: string; rp: RelyingParty; response: Record<string, unknown> & { id: string }; userAgent: string; deviceId: string | null },
): Promise<{ ok: boolean; refusal: WebauthnRefusal | null; sessionToken: string | null }> {
  const actor = self(ctx);
  const finish = async (ok: boolean, refusal: WebauthnRefusal | null, factorId?: string) => {
    const done = await finishSecondFactor(db, ctx, {
      sessionId: input.sessionId, accountId: actor.accountId, organisationId: actor.organisationId, step: 'webauthn', ok,
      userAgent: input.userAgent, deviceId: input.deviceId, factorId,
    });
    return { ok: done.ok, refusal: done.ok ? null : refusal ?? 'locked', sessionToken: done.sessionToken };
  };
  const challenge = await takeChallenge(db, ctx, actor.accountId, input.sessionId);
  if (!challenge) return finish(false, 'no-challenge');
  const f = await findFactorByCredentialId(db, input.response.id);
  // A key of another account is as unknown as a key of nobody's.
  if (!f || f.accountId !== actor.accountId || f.kind !== 'webauthn' || !f.publicKey) return finish(false, 'unknown-key');
  const stored = f.signCount ?? 0;
  let newCounter: number;
  try {
    // The counter rule is ours (signCountAcceptable), so the library is given 0 and checks only the signature.
    const v = await verifyAuthenticationResponse({
      response: input.response as unknown as AuthenticationResponseJSON, expectedChallenge: challenge, expectedOrigin: input.rp.origin, expectedRPID: input.rp.id,
      credential: { id: f.credentialId!, publicKey: isoBase64URL.toBuffer(f.publicKey), counter: 0, transports: f.transports }, requireUserVerification: false,
    });
    if (!v.verified) return finish(false, 'bad-signature', f.id);
    newCounter = v.authenticationInfo.newCounter;
  } catch {
    // Malformed or mismatched responses are refusals like a bad signature; finish() records them.
    return finish(false, 'bad-signature', f.id);
  }
  if (!signCountAcceptable(stored, newCounter) || !(await advanceWebauthnCounter(db, f.id, stored, newCounter, ctx.now.toISOString()))) {
    await db.transaction().execute(async (trx) => {
      await recordAudit(trx, ctx, {
        action: 'mfa.webauthn.counter', outcome: 'failure', organisationId: actor.organisationId, target: `account:${actor.accountId}`,
        details: { factorId: f.id, name: f.name, stored, received: newCounter, reason: 'possible cloned key' },
      });
    });
    return finish(false, 'counter', f.id);
  }
  return finish(true, null, f.id);
}
