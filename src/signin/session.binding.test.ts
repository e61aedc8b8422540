import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { grantsFor } from '../directory/directory.js';
import { replaceRoles } from '../directory/directory.repo.js';
import { totpCode } from '../mfa/mfa.js';
import { ANON_COOKIE } from '../platform/http/csrf.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation, TEST_PASSWORD } from '../platform/testing/factories.js';
import { ManualClock, TestClient, testApp, testConfig } from '../platform/testing/app.js';
import { SESSION_COOKIE } from './signin.js';

const CSRF_COOKIE = 'pw_csrf';

/** A browser holding only this session cookie (as an attacker who learnt an old id would). */
function withSessionCookie(app: FastifyInstance, value: string): TestClient {
  const c = new TestClient(app);
  c.jar.store(`${SESSION_COOKIE}=${value}`);
  return c;
}

/** Whether a session cookie value still opens a page that needs a full session. */
async function authenticates(app: FastifyInstance, value: string): Promise<boolean> {
  return (await withSessionCookie(app, value).get('/security/sessions')).status === 200;
}

describeEachDatabase('session renewal and session-bound CSRF', (t) => {
  let app: FastifyInstance;
  const clock = new ManualClock(new Date('2026-12-08T09:00:00Z'));
  let org: { id: string };

  before(async () => {
    org = await makeOrganisation(t.handle.db);
    ({ app } = await testApp(t.handle.db, { clock, config: testConfig({ signinRateLimitPerMinute: 1000 }) }));
  });
  after(async () => app.close());

  test('password then MFA: a new session id at each stage, and the old ids no longer authenticate', async () => {
    const u = await makeAccount(t.handle.db, { organisationId: org.id, totp: true });
    const c = new TestClient(app, clock);
    const planted = 'planted-session-value-known-to-an-attacker';
    c.jar.store(`${SESSION_COOKIE}=${planted}`);
    assert.equal((await c.post('/signin', { email: u.email, password: TEST_PASSWORD }, { csrfFrom: '/signin' })).status, 303);
    const afterPassword = c.jar.get(SESSION_COOKIE)!;
    assert.ok(afterPassword && afterPassword !== planted, 'a new session at the password step');
    assert.equal(c.jar.get(ANON_COOKIE), undefined, 'the pre-session ends at sign-in');

    // Signing in again from a half-signed-in browser starts another session and ends the first.
    assert.equal((await c.post('/signin', { email: u.email, password: TEST_PASSWORD }, { csrfFrom: '/signin' })).status, 303);
    const again = c.jar.get(SESSION_COOKIE)!;
    assert.notEqual(again, afterPassword);
    assert.equal((await withSessionCookie(app, afterPassword).get('/signin/verify')).status, 303, 'the replaced half session is gone');

    clock.advance(30_000);
    const v = await c.post('/signin/verify', { code: totpCode(u.totpSecret!, clock.now()) }, { csrfFrom: '/signin/verify' });
    assert.equal(v.status, 303);
    const afterMfa = c.jar.get(SESSION_COOKIE)!;
    assert.ok(afterMfa && afterMfa !== again, 'a new session id when MFA is passed');
    assert.equal(await authenticates(app, afterMfa), true);
    assert.equal(await authenticates(app, again), false, 'the mfa-stage id does not become a full session');
    assert.equal((await withSessionCookie(app, again).get('/signin/verify')).status, 303, 'nor does it still work as a half session');
    const live = await t.handle.db.selectFrom('sessions').select('stage').where('account_id', '=', u.id).where('revoked_at', 'is', null).execute();
    assert.deepEqual(live, [{ stage: 'full' }]);
  });

  test('enrolment completes the session under a new id; so does a required password change', async () => {
    const u = await makeAccount(t.handle.db, { organisationId: org.id, businessArea: 'Finance', totp: false, mustChange: true });
    const c = new TestClient(app, clock);
    assert.equal((await c.signIn(u.email, TEST_PASSWORD)).location, '/security/enrol');
    const enrolling = c.jar.get(SESSION_COOKIE)!;
    const page = await c.get('/security/totp/new');
    const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(page.body)![1]!.replace(/ /g, '');
    const factorId = /name="factorId" value="([^"]+)"/.exec(page.body)![1]!;
    clock.advance(30_000);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const done = await c.post('/security/totp', { factorId, code: totpCode(secret, clock.now()), name: 'Phone' }, { csrf });
    assert.equal(done.status, 200, 'the recovery codes page');
    const full = c.jar.get(SESSION_COOKIE)!;
    assert.notEqual(full, enrolling);
    assert.equal((await withSessionCookie(app, enrolling).get('/password/change')).status, 303, 'the enrol-stage id is dead');

    // The recovery codes page was made for the renewed session: its token works.
    const codesToken = /name="_csrf" value="([^"]+)"/.exec(done.body)?.[1];
    assert.ok(codesToken);
    assert.equal((await c.post('/security/sessions/revoke-others', {}, { csrf: codesToken })).status, 303);
    const changed = await c.post('/password/change', { current: TEST_PASSWORD, next: 'a-brand-new-passphrase-42', confirm: 'a-brand-new-passphrase-42' }, { csrfFrom: '/password/change' });
    assert.equal(changed.status, 303);
    const afterChange = c.jar.get(SESSION_COOKIE)!;
    assert.notEqual(afterChange, full, 'a new id once the password change lets the session reach everything');
    assert.equal(await authenticates(app, afterChange), true);
    assert.equal(await authenticates(app, full), false);
  });

  test('a change of roles renews the session at its next request; the old id no longer authenticates', async () => {
    const u = await makeAccount(t.handle.db, { organisationId: org.id });
    const c = new TestClient(app, clock);
    await c.signIn(u.email, TEST_PASSWORD);
    const before = c.jar.get(SESSION_COOKIE)!;
    assert.equal((await c.get('/security/sessions')).status, 200);
    assert.equal(c.jar.get(SESSION_COOKIE), before, 'no renewal while nothing changes');
    await replaceRoles(t.handle.db, u.id, grantsFor(['user', 'local-admin'], org.id));
    const page = await c.get('/security/sessions');
    assert.equal(page.status, 200);
    const renewed = c.jar.get(SESSION_COOKIE)!;
    assert.ok(renewed && renewed !== before, 'a new id for the new privileges');
    assert.equal(await authenticates(app, before), false);
    assert.equal(await authenticates(app, renewed), true);
    assert.equal(c.jar.get(SESSION_COOKIE), renewed, 'renewed once');
    // The page answered with the renewal carries tokens of the renewed session.
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    assert.equal((await c.post('/security/sessions/revoke-others', {}, { csrf })).status, 303, "the renewed page's token works");
  });

  test("a CSRF token and cookie taken from another browser's session are refused (403)", async () => {
    const a = await makeAccount(t.handle.db, { organisationId: org.id });
    const b = await makeAccount(t.handle.db, { organisationId: org.id });
    const browserA = new TestClient(app, clock);
    await browserA.signIn(a.email, TEST_PASSWORD);
    const browserB = new TestClient(app, clock);
    await browserB.signIn(b.email, TEST_PASSWORD);
    const tokenA = await browserA.csrfFrom('/security/sessions');
    // B's browser is given A's CSRF cookie too (a cookie set by a sibling site can do that).
    browserB.jar.store(`${CSRF_COOKIE}=${browserA.jar.get(CSRF_COOKIE)!}`);
    const forged = await browserB.post('/security/sessions/revoke-others', {}, { csrf: tokenA });
    assert.equal(forged.status, 403);
    assert.equal((await browserA.post('/security/sessions/revoke-others', {}, { csrf: tokenA })).status, 303, 'the token works in its own session');
    const audits = await t.handle.db.selectFrom('audit_events').select('target').where('action', '=', 'session.revoke.others').where('target', '=', `account:${b.id}`).execute();
    assert.equal(audits.length, 0, 'nothing was done for B');
  });

  test('a token of the anonymous pre-session is refused once signed in, and a signed-in token after sign-out', async () => {
    const u = await makeAccount(t.handle.db, { organisationId: org.id });
    const c = new TestClient(app, clock);
    const anonymous = await c.csrfFrom('/signin');
    assert.ok(c.jar.get(ANON_COOKIE), 'the sign-in form comes with a pre-session');
    assert.equal((await c.post('/signin', { email: u.email, password: TEST_PASSWORD }, { csrf: anonymous })).status, 303);
    assert.equal((await c.post('/security/sessions/revoke-others', {}, { csrf: anonymous })).status, 403, 'the pre-session token, signed in');
    const signedIn = await c.csrfFrom('/security/sessions');
    assert.equal((await c.post('/signout', {}, { csrf: signedIn })).status, 303);
    const r = await c.post('/signin', { email: u.email, password: TEST_PASSWORD }, { csrf: signedIn });
    assert.equal(r.status, 403, 'the signed-in token, signed out');
    assert.equal(c.jar.get(SESSION_COOKIE), undefined);
  });

  test("an anonymous form is bound to its own pre-session: another browser's token and cookies are refused", async () => {
    const u = await makeAccount(t.handle.db, { organisationId: org.id });
    const attacker = new TestClient(app);
    const token = await attacker.csrfFrom('/signin');
    const victim = new TestClient(app);
    await victim.get('/signin');
    victim.jar.store(`${CSRF_COOKIE}=${attacker.jar.get(CSRF_COOKIE)!}`);
    assert.equal((await victim.post('/signin', { email: u.email, password: TEST_PASSWORD }, { csrf: token })).status, 403);
    const noPreSession = new TestClient(app);
    noPreSession.jar.store(`${CSRF_COOKIE}=${attacker.jar.get(CSRF_COOKIE)!}`);
    assert.equal((await noPreSession.post('/signin', { email: u.email, password: TEST_PASSWORD }, { csrf: token })).status, 403, 'nor without any pre-session');
    assert.equal(victim.jar.get(SESSION_COOKIE), undefined);
  });
});
