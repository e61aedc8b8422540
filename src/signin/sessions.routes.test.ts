import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ManualClock } from '../platform/clock.js';
import { cliContext } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation, TEST_PASSWORD, signedInClient } from '../platform/testing/factories.js';
import { TestClient, testApp, testConfig } from '../platform/testing/app.js';
import { hashSecret, SESSION_COOKIE } from './signin.js';
import { createApiToken, resolveApiToken } from './tokens.commands.js';

/** Whether a session row is still unrevoked. */
async function live(db: Db, c: TestClient): Promise<boolean> {
  const row = await db.selectFrom('sessions').select('revoked_at').where('id', '=', sessionIdOf(c)).executeTakeFirstOrThrow();
  return row.revoked_at === null;
}
const sessionIdOf = (c: TestClient): string => hashSecret(c.jar.get(SESSION_COOKIE)!);

async function auditActions(db: Db, action: string): Promise<{ target: string | null; details: string }[]> {
  return db.selectFrom('audit_events').select(['target', 'details']).where('action', '=', action).orderBy('seq').execute();
}

describeEachDatabase('sessions: your own sessions and sign-in history', (t) => {
  let app: FastifyInstance;
  let clock: ManualClock;
  let user: { id: string; email: string };
  let other: { id: string; email: string };
  let org: { id: string };

  before(async () => {
    const { db } = t.handle;
    org = await makeOrganisation(db);
    user = await makeAccount(db, { organisationId: org.id });
    other = await makeAccount(db, { organisationId: org.id });
    clock = new ManualClock(new Date());
    ({ app } = await testApp(db, { clock, config: testConfig({ signinRateLimitPerMinute: 1000 }) }));
  });
  after(async () => app.close());

  const signedIn = (email: string): Promise<TestClient> => signedInClient(app, clock, email);

  test('lists your live sessions, marks this one, and shows your recent sign-ins with failures', async () => {
    const stranger = new TestClient(app, clock);
    await stranger.post('/signin', { email: user.email, password: 'wrong-password-entirely' }, { csrfFrom: '/signin' });
    const phone = await signedIn(user.email);
    const c = await signedIn(user.email);
    const page = await c.get('/security/sessions');
    assert.equal(page.status, 200);
    assert.match(page.body, /This session/);
    assert.equal((page.body.match(/action="\/security\/sessions\/[0-9a-f]{64}\/revoke"/g) ?? []).length, 1, 'a Sign out button for the other session only');
    assert.match(page.body, new RegExp(`/security/sessions/${sessionIdOf(phone)}/revoke`));
    assert.doesNotMatch(page.body, new RegExp(sessionIdOf(c)), 'the current session has no button');
    assert.match(page.body, /Sign out of all other sessions/);
    assert.match(page.body, /id="signin-history"/);
    assert.match(page.body, /Failed/);
    assert.match(page.body, /Succeeded/);
    assert.doesNotMatch(page.body, new RegExp(other.email), 'nobody else appears');
  });

  test('signing out one of your other sessions ends it and is audited', async () => {
    const phone = await signedIn(user.email);
    const c = await signedIn(user.email);
    const r = await c.post(`/security/sessions/${sessionIdOf(phone)}/revoke`, {}, { csrfFrom: '/security/sessions' });
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, '/security/sessions?ended=one');
    assert.equal(await live(t.handle.db, phone), false);
    assert.equal((await phone.get('/')).status, 303, 'the ended session is signed out');
    assert.equal((await c.get('/')).status, 200, 'the current one continues');
    assert.match((await c.get('/security/sessions?ended=one')).body, /The session has been signed out/);
    assert.ok((await auditActions(t.handle.db, 'session.revoke')).some((e) => e.target === `account:${user.id}`));
  });

  test("another account's session id is a 404 and changes nothing", async () => {
    const victim = await signedIn(other.email);
    const c = await signedIn(user.email);
    const before = (await auditActions(t.handle.db, 'session.revoke')).length;
    const r = await c.post(`/security/sessions/${sessionIdOf(victim)}/revoke`, {}, { csrfFrom: '/security/sessions' });
    assert.equal(r.status, 404);
    assert.equal(await live(t.handle.db, victim), true);
    assert.equal((await victim.get('/')).status, 200);
    assert.equal((await auditActions(t.handle.db, 'session.revoke')).length, before);
    // Unknown and malformed ids look the same.
    assert.equal((await c.post(`/security/sessions/${'0'.repeat(64)}/revoke`, {}, { csrfFrom: '/security/sessions' })).status, 404);
    assert.equal((await c.post('/security/sessions/not-a-session/revoke', {}, { csrfFrom: '/security/sessions' })).status, 404);
  });

  test('the current session cannot be ended from this list (Sign out does that)', async () => {
    const c = await signedIn(user.email);
    const r = await c.post(`/security/sessions/${sessionIdOf(c)}/revoke`, {}, { csrfFrom: '/security/sessions' });
    assert.equal(r.status, 400);
    assert.equal(await live(t.handle.db, c), true);
  });

  test('a revoke without a CSRF token is refused', async () => {
    const phone = await signedIn(user.email);
    const c = await signedIn(user.email);
    const r = await c.post(`/security/sessions/${sessionIdOf(phone)}/revoke`, {}, { csrf: null });
    assert.equal(r.status, 403);
    assert.equal(await live(t.handle.db, phone), true);
  });

  test('"sign out of all other sessions" ends every other session of yours, and only yours', async () => {
    const mine = await makeAccount(t.handle.db, { organisationId: org.id }); // its own: the count is exact
    const a = await signedIn(mine.email);
    const b = await signedIn(mine.email);
    const someoneElse = await signedIn(other.email);
    const c = await signedIn(mine.email);
    const r = await c.post('/security/sessions/revoke-others', {}, { csrfFrom: '/security/sessions' });
    assert.equal(r.status, 303);
    assert.equal(String(r.headers.location), '/security/sessions?ended=2');
    assert.equal(await live(t.handle.db, a), false);
    assert.equal(await live(t.handle.db, b), false);
    assert.equal(await live(t.handle.db, c), true);
    assert.equal(await live(t.handle.db, someoneElse), true);
    const page = await c.get(String(r.headers.location));
    assert.match(page.body, /Signed out of 2 other sessions\./);
    assert.match(page.body, /You are not signed in anywhere else/);
  });
});

describeEachDatabase('sessions: sign out of every session (LAs and admins)', (t) => {
  let app: FastifyInstance;
  let clock: ManualClock;
  let target: { id: string; email: string };
  let orgA: { id: string };
  const actors: Record<string, { email: string }> = {};

  before(async () => {
    const { db } = t.handle;
    orgA = await makeOrganisation(db);
    const orgB = await makeOrganisation(db);
    target = await makeAccount(db, { organisationId: orgA.id });
    actors.la = await makeAccount(db, { organisationId: orgA.id, roles: ['local-admin'] });
    actors.otherLa = await makeAccount(db, { organisationId: orgB.id, roles: ['local-admin'] });
    actors.admin = await makeAccount(db, { organisationId: orgB.id, roles: ['platform-admin'] });
    actors.helpdesk = await makeAccount(db, { organisationId: orgB.id, roles: ['helpdesk'] });
    actors.csoc = await makeAccount(db, { organisationId: orgB.id, roles: ['csoc'] });
    actors.colleague = await makeAccount(db, { organisationId: orgA.id });
    clock = new ManualClock(new Date());
    ({ app } = await testApp(db, { clock, config: testConfig({ signinRateLimitPerMinute: 1000 }) }));
  });
  after(async () => app.close());

  const signedIn = (email: string): Promise<TestClient> => signedInClient(app, clock, email);

  async function attempt(who: string): Promise<number> {
    const c = await signedIn(actors[who]!.email);
    const r = await c.post(`/accounts/${target.id}/sessions/revoke`, {}, { csrfFrom: '/' });
    assert.doesNotMatch(r.body, /form has expired/, 'refused by policy, not by the CSRF check');
    return r.status;
  }

  for (const [who, status] of [['otherLa', 404], ['colleague', 404], ['helpdesk', 403], ['csoc', 403]] as const) {
    test(`${who} is refused with ${status} and nothing changes`, async () => {
      const victim = await signedIn(target.email);
      const { token } = await createApiToken(t.handle.db, cliContext(clock.now()), { email: target.email, name: `t-${who}` });
      const before = (await auditActions(t.handle.db, 'account.sessions.revoke')).length;
      assert.equal(await attempt(who), status);
      assert.equal(await live(t.handle.db, victim), true);
      assert.notEqual(await resolveApiToken(t.handle.db, token, clock.now()), null, 'the API token still works');
      assert.equal((await auditActions(t.handle.db, 'account.sessions.revoke')).length, before);
    });
  }

  for (const who of ['la', 'admin'] as const) {
    test(`${who} ends every session and API token of the account, audited with counts`, async () => {
      const target = await makeAccount(t.handle.db, { organisationId: orgA.id }); // its own: the counts are exact
      const v1 = await signedIn(target.email);
      const v2 = await signedIn(target.email);
      const { token } = await createApiToken(t.handle.db, cliContext(clock.now()), { email: target.email, name: `t-${who}` });
      const c = await signedIn(actors[who]!.email);
      const r = await c.post(`/accounts/${target.id}/sessions/revoke`, {}, { csrfFrom: `/accounts/${target.id}` });
      assert.equal(r.status, 303);
      const m = new RegExp(`^/accounts/${target.id}\\?revoked=(\\d+)-(\\d+)$`).exec(String(r.headers.location));
      assert.ok(m, String(r.headers.location));
      assert.deepEqual([m[1], m[2]], ['2', '1'], 'its two sessions and one API token');
      assert.equal(await live(t.handle.db, v1), false);
      assert.equal(await live(t.handle.db, v2), false);
      assert.equal((await v1.get('/')).status, 303);
      assert.equal(await resolveApiToken(t.handle.db, token, clock.now()), null);
      const events = (await auditActions(t.handle.db, 'account.sessions.revoke')).filter((e) => e.target === `account:${target.id}`);
      assert.deepEqual(events.map((e) => JSON.parse(e.details) as unknown), [{ sessions: 2, tokens: 1 }]);
      const page = await c.get(String(r.headers.location));
      assert.match(page.body, /Signed out of every session/);
    });
  }

  test('the account page shows the action to managers and the devices to history readers only', async () => {
    await signedIn(target.email); // at least one device in the history
    const seen = async (who: string): Promise<{ action: boolean; devices: boolean }> => {
      const c = await signedIn(actors[who]!.email);
      const page = await c.get(`/accounts/${target.id}`);
      assert.equal(page.status, 200, who);
      return { action: /Sign out of every session/.test(page.body), devices: /Devices used in the last 30 days/.test(page.body) };
    };
    assert.deepEqual(await seen('la'), { action: true, devices: true });
    assert.deepEqual(await seen('admin'), { action: true, devices: true });
    assert.deepEqual(await seen('csoc'), { action: false, devices: true });
    assert.deepEqual(await seen('helpdesk'), { action: false, devices: false });
    // A user reading their own account page sees neither (they have /security/sessions).
    const self = await signedIn(target.email);
    const own = await self.get(`/accounts/${target.id}`);
    assert.equal(own.status, 200);
    assert.doesNotMatch(own.body, /Devices used in the last 30 days|Sign out of every session/);
  });
});
