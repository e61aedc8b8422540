import { randomUUID } from 'node:crypto';
import { grantsFor, PRIVILEGED_ROLES, type Role } from '../../directory/directory.js';
import { newTotpSecret } from '../../mfa/mfa.js';
import { insertFactor } from '../../mfa/mfa.repo.js';
import { totpSecretKey } from '../../mfa/totp.commands.js';
import { deriveKey, encryptSecret } from '../crypto/secrets.js';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { type ManualClock, TEST_SECRET_KEY, TestClient, testTotpSecrets } from './app.js';
import { findAccount, insertAccount, replaceOrganisationDomains, replaceRoles, rolesOf, upsertOrganisation } from '../../directory/directory.repo.js';
import { hashPassword } from '../../signin/password.js';
import { storeSecurityQuestions } from '../../recovery/questions.commands.js';
import { QUESTIONS } from '../../recovery/recovery.js';
import type { Ctx } from '../context.js';
import type { Db } from '../db/db.js';

/** Shared test data. Writes through the real repositories; nothing is mocked. */

let counter = 0;
const unique = (): string => `${Date.now().toString(36)}${(counter++).toString(36)}${randomUUID().slice(0, 4)}`;

export const TEST_PASSWORD = 'correct-battery-horse-99';

/** Security answers every factory account gets unless `securityQuestions: false`. */
export const TEST_SECURITY_ANSWERS = [
  { question: QUESTIONS[0]!, answer: 'first school' },
  { question: QUESTIONS[1]!, answer: 'born town' },
  { question: QUESTIONS[2]!, answer: 'first car' },
];

export async function makeOrganisation(db: Db, o: { code?: string; name?: string; domains?: string[]; highRiskAreas?: string[] } = {}): Promise<{ id: string; code: string; name: string; domain: string }> {
  const u = unique();
  const code = o.code ?? `T${u}`.toUpperCase().slice(0, 12);
  const name = o.name ?? `Test Trust ${u}`;
  const domains = o.domains ?? [`${u}.test-trust.example`];
  const { id } = await upsertOrganisation(db, { id: randomUUID(), code, name, highRiskAreas: o.highRiskAreas ?? ['Finance', 'HR'], laContact: `la@${domains[0]}`, now: new Date().toISOString() });
  await replaceOrganisationDomains(db, id, domains);
  return { id, code, name, domain: domains[0]! };
}

export async function makeAccount(
  db: Db,
  a: {
    organisationId: string; email?: string; displayName?: string; roles?: Role[]; password?: string | null; businessArea?: string; mustChange?: boolean;
    mobile?: string | null;
    /** Enrol an authenticator app (default: yes for privileged roles, which must use MFA). */
    totp?: boolean;
    /** Set TEST_SECURITY_ANSWERS (default: yes, so sign-in does not stop at the questions prompt). */
    securityQuestions?: boolean;
  },
): Promise<{ id: string; email: string; password: string | null; totpSecret: string | null }> {
  const id = randomUUID();
  const email = a.email ?? `user-${unique()}@example.test`;
  const password = a.password === undefined ? TEST_PASSWORD : a.password;
  await insertAccount(db, {
    id, organisationId: a.organisationId, email, displayName: a.displayName ?? `Test ${email.split('@')[0]}`, businessArea: a.businessArea ?? 'Clinical',
    mobile: a.mobile ?? null, passwordHash: password ? await hashPassword(password) : null, mustChangePassword: a.mustChange ?? false, now: new Date().toISOString(),
  });
  await replaceRoles(db, id, grantsFor(a.roles ?? ['user'], a.organisationId));
  if (a.securityQuestions ?? true) await storeSecurityQuestions(db, Buffer.from(TEST_SECRET_KEY, 'hex'), id, TEST_SECURITY_ANSWERS, new Date().toISOString());
  let totpSecret: string | null = null;
  if (a.totp ?? (a.roles ?? []).some((r) => PRIVILEGED_ROLES.includes(r))) {
    totpSecret = await enrolTestTotp(db, id);
    testTotpSecrets.set(email, totpSecret);
  }
  return { id, email, password, totpSecret };
}

/** Gives an account an active authenticator-app factor; returns its secret. */
export async function enrolTestTotp(db: Db, accountId: string): Promise<string> {
  const secret = newTotpSecret();
  await insertFactor(db, {
    id: randomUUID(), accountId, kind: 'totp', name: 'Test phone', status: 'active',
    secretEnc: encryptSecret(totpSecretKey(Buffer.from(TEST_SECRET_KEY, 'hex')), secret),
    credentialId: null, publicKey: null, signCount: null, transports: [], createdAt: new Date().toISOString(),
  });
  return secret;
}

/** A context acting as the stored account `accountId` (its roles as they are now), at `now`. */
export async function actorCtx(db: Db, accountId: string, now: Date): Promise<Ctx> {
  const a = await findAccount(db, accountId, { all: true });
  if (!a) throw new Error(`no account ${accountId}`);
  return testCtx({ accountId: a.id, email: a.email, organisationId: a.organisationId, roles: await rolesOf(db, accountId) }, now);
}

/** A context for commands in tests. */
export function testCtx(actor: Ctx['actor'], now = new Date()): Ctx {
  return { actor, via: 'web', ip: '127.0.0.1', requestId: `test-${unique()}`, now };
}

/**
 * A client signed in through the real form (and, for accounts with a test authenticator,
 * the code step). Fails the test when sign-in does not end in a redirect.
 */
export async function signedInClient(app: FastifyInstance, clock: ManualClock, email: string, password = TEST_PASSWORD): Promise<TestClient> {
  const c = new TestClient(app, clock);
  const r = await c.signIn(email, password);
  assert.equal(r.status, 303, `sign-in of ${email} failed`);
  return c;
}
