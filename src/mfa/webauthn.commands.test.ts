import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { Invalid, NotFound } from '../platform/errors/errors.js';
import { TEST_SECRET_KEY } from '../platform/testing/app.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation, testCtx } from '../platform/testing/factories.js';
import { findSession, insertSession, type SessionStage } from '../signin/signin.repo.js';
import { factorsOf, insertFactor, unusedRecoveryCodeCount } from './mfa.repo.js';
import { relyingPartyOf } from './webauthn.js';
import {
  finishWebauthnRegistration, renameWebauthnKey, startWebauthnRegistration, startWebauthnSignin, verifyWebauthnAtSignin,
} from './webauthn.commands.js';
import { SoftAuthenticator } from './webauthn.testing.js';
import { hashSecret } from '../signin/signin.js';

const rp = relyingPartyOf('https://portal.example.test', 'Postwarden');
const keys = { secretKey: Buffer.from(TEST_SECRET_KEY, 'hex') };
const T0 = new Date('2026-12-01T09:00:00Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);

async function person(db: Db) {
  const org = await makeOrganisation(db);
  const a = await makeAccount(db, { organisationId: org.id, businessArea: 'Finance', totp: false });
  const actor = { accountId: a.id, email: a.email, organisationId: org.id, roles: [{ role: 'user' as const, scope: org.id }] };
  return { ...a, organisationId: org.id, actor, ctx: (now = T0): Ctx => testCtx(actor, now) };
}

async function openSession(db: Db, accountId: string, stage: SessionStage): Promise<string> {
  const id = randomUUID();
  await insertSession(db, {
    id, accountId, stage, deviceId: null, mfaAt: null, createdAt: T0.toISOString(), lastSeenAt: T0.toISOString(),
    expiresAt: at(86_400_000).toISOString(), ip: '127.0.0.1', userAgent: 'test',
  });
  return id;
}

/** Gives an account a key directly (as a completed registration would). */
async function giveKey(db: Db, accountId: string, key: SoftAuthenticator, signCount = 0): Promise<string> {
  const id = randomUUID();
  await insertFactor(db, {
    id, accountId, kind: 'webauthn', name: 'Soft key', status: 'active', secretEnc: null, credentialId: key.credentialId,
    publicKey: key.publicKeyB64, signCount, transports: ['usb'], createdAt: T0.toISOString(),
  });
  return id;
}

const audits = (db: Db, action: string, target: string) =>
  db.selectFrom('audit_events').select(['outcome', 'details']).where('action', '=', action).where('target', '=', target).execute();

const failures = async (db: Db, accountId: string): Promise<number> =>
  (await db.selectFrom('signin_throttle').select('failures').where('account_id', '=', accountId).executeTakeFirst())?.failures ?? 0;

describeEachDatabase('webauthn commands', (dbc) => {
  test('registration stores the key, shows recovery codes once, completes an owed enrolment', async () => {
    const db = dbc.handle.db;
    const p = await person(db);
    const sessionId = await openSession(db, p.id, 'enrol');
    const key = new SoftAuthenticator(rp.origin, rp.id);
    const options = await startWebauthnRegistration(db, p.ctx(), { sessionId, rp, displayName: 'Test' });
    assert.equal(options.rp.id, 'portal.example.test');
    assert.equal(options.attestation, 'none');
    assert.equal((await findSession(db, sessionId))?.challenge, options.challenge);

    const first = await finishWebauthnRegistration(db, p.ctx(at(60_000)), keys, { sessionId, rp, response: key.register(options.challenge), name: ' Blue key ' });
    assert.equal(first.recoveryCodes?.length, 10);
    assert.equal(await unusedRecoveryCodeCount(db, p.id), 10);
    assert.ok((await findSession(db, sessionId))?.revokedAt, 'the enrol-stage session id no longer works');
    const renewedId = hashSecret(first.sessionToken!);
    const session = await findSession(db, renewedId);
    assert.deepEqual([session?.stage, session?.revokedAt], ['full', null], 'renewed under a new id');
    assert.equal(session?.challenge, null, 'the challenge is used up');
    const [f] = await factorsOf(db, p.id);
    assert.deepEqual([f?.kind, f?.name, f?.credentialId, f?.signCount, f?.transports], ['webauthn', 'Blue key', key.credentialId, 0, ['usb']]);
    assert.equal((await audits(db, 'mfa.webauthn.enrol', `account:${p.id}`)).length, 1);

    // A second key: excluded-credentials lists the first; no new recovery codes.
    const second = new SoftAuthenticator(rp.origin, rp.id);
    const o2 = await startWebauthnRegistration(db, p.ctx(), { sessionId: renewedId, rp, displayName: 'Test' });
    assert.deepEqual(o2.excludeCredentials?.map((c) => c.id), [key.credentialId]);
    const r2 = await finishWebauthnRegistration(db, p.ctx(at(120_000)), keys, { sessionId: renewedId, rp, response: second.register(o2.challenge), name: '' });
    assert.deepEqual([r2.recoveryCodes, r2.sessionToken], [null, null], 'a full session adding a key is not renewed');
    assert.deepEqual((await factorsOf(db, p.id)).map((x) => x.name), ['Blue key', 'Security key']);
  });

  test('registration is refused without a challenge, after it expires, when replayed, or for another challenge', async () => {
    const db = dbc.handle.db;
    const p = await person(db);
    const sessionId = await openSession(db, p.id, 'enrol');
    const key = new SoftAuthenticator(rp.origin, rp.id);
    const refused = (promise: Promise<unknown>) => assert.rejects(promise, Invalid);

    await refused(finishWebauthnRegistration(db, p.ctx(), keys, { sessionId, rp, response: key.register('bm90LWlzc3VlZA'), name: '' }));

    const expired = await startWebauthnRegistration(db, p.ctx(), { sessionId, rp, displayName: '' });
    await refused(finishWebauthnRegistration(db, p.ctx(at(5 * 60_000 + 1)), keys, { sessionId, rp, response: key.register(expired.challenge), name: '' }));

    const used = await startWebauthnRegistration(db, p.ctx(), { sessionId, rp, displayName: '' });
    const wrong = await finishWebauthnRegistration(db, p.ctx(), keys, { sessionId, rp, response: key.register('b3RoZXItY2hhbGxlbmdl'), name: '' }).catch((e: unknown) => e);
    assert.ok(wrong instanceof Invalid, 'a response to another challenge');
    // The failed attempt used the challenge up: the right answer now comes too late.
    await refused(finishWebauthnRegistration(db, p.ctx(), keys, { sessionId, rp, response: key.register(used.challenge), name: '' }));

    // Another session's challenge does not count for this one.
    const other = await openSession(db, p.id, 'enrol');
    const theirs = await startWebauthnRegistration(db, p.ctx(), { sessionId: other, rp, displayName: '' });
    await refused(finishWebauthnRegistration(db, p.ctx(), keys, { sessionId, rp, response: key.register(theirs.challenge), name: '' }));

    // A response from another origin.
    const foreign = new SoftAuthenticator('https://evil.example', rp.id);
    const o = await startWebauthnRegistration(db, p.ctx(), { sessionId, rp, displayName: '' });
    await refused(finishWebauthnRegistration(db, p.ctx(), keys, { sessionId, rp, response: foreign.register(o.challenge), name: '' }));

    assert.equal((await factorsOf(db, p.id)).length, 0);
    assert.equal((await findSession(db, sessionId))?.stage, 'enrol');
  });

  test('a key signs in an mfa session; the counter is recorded', async () => {
    const db = dbc.handle.db;
    const p = await person(db);
    const key = new SoftAuthenticator(rp.origin, rp.id);
    const factorId = await giveKey(db, p.id, key);
    const sessionId = await openSession(db, p.id, 'mfa');
    const options = await startWebauthnSignin(db, p.ctx(), { sessionId, rp });
    assert.deepEqual(options.allowCredentials?.map((c) => c.id), [key.credentialId]);
    const r = await verifyWebauthnAtSignin(db, p.ctx(), { sessionId, rp, response: key.authenticate(options.challenge), userAgent: 'test', deviceId: null });
    assert.deepEqual([r.ok, r.refusal], [true, null]);
    assert.ok((await findSession(db, sessionId))?.revokedAt, 'the mfa-stage session id no longer works');
    assert.equal((await findSession(db, hashSecret(r.sessionToken!)))?.stage, 'full', 'renewed under a new id');
    assert.equal((await factorsOf(db, p.id)).find((f) => f.id === factorId)?.signCount, 1);
    const events = await db.selectFrom('signin_events').select(['step', 'outcome']).where('account_id', '=', p.id).execute();
    assert.deepEqual(events, [{ step: 'webauthn', outcome: 'success' }]);
  });

  test('sign-in is refused without a live challenge, and the refusal counts towards the lockout', async () => {
    const db = dbc.handle.db;
    const p = await person(db);
    const key = new SoftAuthenticator(rp.origin, rp.id);
    await giveKey(db, p.id, key);
    const sessionId = await openSession(db, p.id, 'mfa');
    const input = (challenge: string) => ({ sessionId, rp, response: key.authenticate(challenge), userAgent: 'test', deviceId: null });

    assert.deepEqual(await verifyWebauthnAtSignin(db, p.ctx(), input('bm8tY2hhbGxlbmdl')), { ok: false, refusal: 'no-challenge', sessionToken: null });
    const o = await startWebauthnSignin(db, p.ctx(), { sessionId, rp });
    assert.deepEqual(await verifyWebauthnAtSignin(db, p.ctx(at(5 * 60_000 + 1)), input(o.challenge)), { ok: false, refusal: 'no-challenge', sessionToken: null });
    assert.equal(await failures(db, p.id), 2);
    assert.equal((await findSession(db, sessionId))?.stage, 'mfa');
  });

  test("a response made with another account's key is refused, even correctly signed", async () => {
    const db = dbc.handle.db;
    const p = await person(db);
    const other = await person(db);
    await giveKey(db, p.id, new SoftAuthenticator(rp.origin, rp.id));
    const theirKey = new SoftAuthenticator(rp.origin, rp.id);
    await giveKey(db, other.id, theirKey);
    const sessionId = await openSession(db, p.id, 'mfa');
    const o = await startWebauthnSignin(db, p.ctx(), { sessionId, rp });
    const r = await verifyWebauthnAtSignin(db, p.ctx(), { sessionId, rp, response: theirKey.authenticate(o.challenge), userAgent: 'test', deviceId: null });
    assert.deepEqual(r, { ok: false, refusal: 'unknown-key', sessionToken: null });
    assert.equal((await findSession(db, sessionId))?.stage, 'mfa');
    assert.equal(await failures(db, p.id), 1);
  });

  test('a counter that goes back is refused and audited as a possible cloned key', async () => {
    const db = dbc.handle.db;
    const p = await person(db);
    const key = new SoftAuthenticator(rp.origin, rp.id);
    key.counter = 41;
    const factorId = await giveKey(db, p.id, key, 41);
    const sessionId = await openSession(db, p.id, 'mfa');
    key.counter = 10; // a copy of the key that has been used less
    const o = await startWebauthnSignin(db, p.ctx(), { sessionId, rp });
    const r = await verifyWebauthnAtSignin(db, p.ctx(), { sessionId, rp, response: key.authenticate(o.challenge), userAgent: 'test', deviceId: null });
    assert.deepEqual(r, { ok: false, refusal: 'counter', sessionToken: null });
    assert.equal((await factorsOf(db, p.id)).find((f) => f.id === factorId)?.signCount, 41, 'the stored counter is kept');
    const [audit] = await audits(db, 'mfa.webauthn.counter', `account:${p.id}`);
    assert.equal(audit?.outcome, 'failure');
    assert.match(audit!.details, /possible cloned key/);
    assert.equal((await findSession(db, sessionId))?.stage, 'mfa');

    // The genuine key, counting on, still works.
    key.counter = 41;
    const o2 = await startWebauthnSignin(db, p.ctx(), { sessionId, rp });
    assert.equal((await verifyWebauthnAtSignin(db, p.ctx(), { sessionId, rp, response: key.authenticate(o2.challenge), userAgent: 'test', deviceId: null })).ok, true);
  });

  test('keys are renamed by their owner only', async () => {
    const db = dbc.handle.db;
    const p = await person(db);
    const other = await person(db);
    const factorId = await giveKey(db, p.id, new SoftAuthenticator(rp.origin, rp.id));
    await renameWebauthnKey(db, p.ctx(), factorId, 'Keyring key');
    assert.equal((await factorsOf(db, p.id))[0]?.name, 'Keyring key');
    assert.equal((await audits(db, 'mfa.webauthn.rename', `account:${p.id}`)).length, 1);
    await assert.rejects(renameWebauthnKey(db, other.ctx(), factorId, 'Mine now'), NotFound);
    await assert.rejects(renameWebauthnKey(db, p.ctx(), factorId, 'x'.repeat(61)), Invalid);
    assert.equal((await factorsOf(db, p.id))[0]?.name, 'Keyring key');
  });
});
