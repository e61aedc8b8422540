import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ManualClock } from '../platform/clock.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation, TEST_PASSWORD } from '../platform/testing/factories.js';
import { TestClient, testApp, testConfig } from '../platform/testing/app.js';
import { SIGNIN_FAILED } from './signin.commands.js';
import { hashSecret, SESSION_COOKIE } from './signin.js';

describeEachDatabase('sign-in, sessions and CSRF', (t) => {
  let app: FastifyInstance;
  let clock: ManualClock;
  let org: { id: string; domain: string };
  let user: { id: string; email: string };

  before(async () => {
    const { db } = t.handle;
    org = await makeOrganisation(db);
    user = await makeAccount(db, { organisationId: org.id, roles: ['user'] });
    clock = new ManualClock(new Date());
    ({ app } = await testApp(db, { clock, config: testConfig({ signinRateLimitPerMinute: 1000 }) }));
  });
  after(async () => app.close());

  test('a wrong password and an unknown address get the same answer', async () => {
    const c = new TestClient(app, clock);
    const wrong = await c.post('/signin', { email: user.email, password: 'not-the-password-at-all' }, { csrfFrom: '/signin' });
    const unknown = await c.post('/signin', { email: `nobody@${org.domain}`, password: 'not-the-password-at-all' }, { csrfFrom: '/signin' });
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    const escaped = SIGNIN_FAILED.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assert.match(wrong.body, new RegExp(escaped));
    assert.match(unknown.body, new RegExp(escaped));
    assert.equal(c.jar.get(SESSION_COOKIE), undefined);
  });

  test('a form without a valid CSRF token is refused and signs nobody in', async () => {
    const c = new TestClient(app, clock);
    await c.get('/signin');
    const none = await c.post('/signin', { email: user.email, password: TEST_PASSWORD }, { csrf: null });
    assert.equal(none.status, 403);
    const forged = await c.post('/signin', { email: user.email, password: TEST_PASSWORD }, { csrf: 'forged-token' });
    assert.equal(forged.status, 403);
    assert.equal(c.jar.get(SESSION_COOKIE), undefined);
  });

  test('sign-in sets an HttpOnly SameSite session cookie; only its hash is stored', async () => {
    const c = new TestClient(app, clock);
    const r = await c.post('/signin', { email: user.email, password: TEST_PASSWORD }, { csrfFrom: '/signin' });
    assert.equal(r.status, 303);
    const set = [r.headers['set-cookie']].flat().find((h) => String(h).startsWith(`${SESSION_COOKIE}=`)) as string;
    assert.match(set, /HttpOnly/i);
    assert.match(set, /SameSite=Lax/i);
    const token = c.jar.get(SESSION_COOKIE)!;
    const rows = await t.handle.db.selectFrom('sessions').select('id').where('account_id', '=', user.id).execute();
    assert.ok(rows.some((s) => s.id === hashSecret(token)));
    assert.ok(!rows.some((s) => s.id === token));
    assert.equal((await c.get('/')).status, 200);
  });

  test('sign-out revokes the session on the server', async () => {
    const c = new TestClient(app, clock);
    await c.signIn(user.email, TEST_PASSWORD);
    const token = c.jar.get(SESSION_COOKIE)!;
    const out = await c.post('/signout', {}, { csrfFrom: '/' });
    assert.equal(out.status, 303);
    const replay = await app.inject({ url: '/', headers: { cookie: `${SESSION_COOKIE}=${token}` } });
    assert.equal(replay.statusCode, 303);
    assert.match(String(replay.headers.location), /^\/signin/);
  });

  test('sessions end after the idle timeout and after the absolute lifetime', async () => {
    const c = new TestClient(app, clock);
    await c.signIn(user.email, TEST_PASSWORD);
    clock.advance(29 * 60_000);
    assert.equal((await c.get('/')).status, 200);
    clock.advance(31 * 60_000);
    assert.equal((await c.get('/')).status, 303, 'idle for 31 minutes');

    const d = new TestClient(app, clock);
    await d.signIn(user.email, TEST_PASSWORD);
    for (let i = 0; i < 25; i++) {
      clock.advance(29 * 60_000);
      const r = await d.get('/');
      if (r.status !== 200) {
        assert.ok(i >= 24, `ended too early, after ${(i + 1) * 29} minutes`);
        return;
      }
    }
    assert.fail('session outlived the 12-hour absolute limit');
  });

  test('an account that must change its password reaches nothing else until it does', async () => {
    const { db } = t.handle;
    const fresh = await makeAccount(db, { organisationId: org.id, roles: ['user', 'local-admin'], mustChange: true });
    const c = new TestClient(app, clock);
    const r = await c.signIn(fresh.email, TEST_PASSWORD);
    assert.equal(r.location, '/password/change');
    for (const url of ['/', '/accounts', '/organisations', '/audit']) {
      const p = await c.get(url);
      assert.equal(p.status, 303, url);
      assert.equal(p.headers.location, '/password/change');
    }
    const bad = await c.post('/password/change', { current: TEST_PASSWORD, next: 'password1234', confirm: 'password1234' });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /too common/);
    const ok = await c.post('/password/change', { current: TEST_PASSWORD, next: 'granite-otter-lantern-42', confirm: 'granite-otter-lantern-42' });
    assert.equal(ok.status, 303);
    assert.equal((await c.get('/accounts')).status, 200);
    const again = new TestClient(app, clock);
    assert.equal((await again.signIn(fresh.email, TEST_PASSWORD)).status, 401);
    assert.equal((await again.signIn(fresh.email, 'granite-otter-lantern-42')).status, 303);
  });

  test('a disabled account cannot sign in and its open sessions stop working', async () => {
    const { db } = t.handle;
    const victim = await makeAccount(db, { organisationId: org.id, roles: ['user', 'local-admin'] });
    const c = new TestClient(app, clock);
    await c.signIn(victim.email, TEST_PASSWORD);
    await db.updateTable('accounts').set({ status: 'disabled', status_reason: 'test' }).where('id', '=', victim.id).execute();
    assert.equal((await c.get('/accounts')).status, 303);
    assert.equal((await new TestClient(app, clock).signIn(victim.email, TEST_PASSWORD)).status, 401);
  });

  test('sign-in redirects only to local paths', async () => {
    const c = new TestClient(app, clock);
    const r = await c.post('/signin?next=%2F%2Fevil.example%2F', { email: user.email, password: TEST_PASSWORD }, { csrfFrom: '/signin' });
    assert.equal(r.headers.location, '/');
    const d = new TestClient(app, clock);
    const s = await d.post('/signin?next=%2Faccounts', { email: user.email, password: TEST_PASSWORD }, { csrfFrom: '/signin' });
    assert.equal(s.headers.location, '/accounts');
  });
});

describeEachDatabase('sign-in rate limit', (t) => {
  test('too many sign-in attempts from one address get 429', async () => {
    const { db } = t.handle;
    const { app } = await testApp(db, { config: testConfig({ signinRateLimitPerMinute: 3 }) });
    try {
      const c = new TestClient(app);
      const csrf = await c.csrfFrom('/signin');
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await c.post('/signin', { email: 'x@example.test', password: 'wrong-password-here' }, { csrf })).status);
      assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
    } finally {
      await app.close();
    }
  });
});
