import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { requirePeer } from '../platform/testing/peers.js';
import { makeAccount, makeOrganisation, TEST_PASSWORD } from '../platform/testing/factories.js';
import { ManualClock, TestClient, testApp, testConfig } from '../platform/testing/app.js';
import { totpCode } from './mfa.js';

/** Missing oathtool is reported in the run's banner (and fails under CI); codes then come from otpauth. */
const oathtoolSkip = requirePeer('oathtool', 'codes from an independent implementation');

/** A TOTP code from Debian's oathtool (an independent implementation) when installed, else from otpauth. */
function codeAt(secret: string, at: Date): string {
  if (oathtoolSkip) return totpCode(secret, at);
  const when = at.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return execFileSync('oathtool', ['--totp', '-b', '-N', when, secret], { encoding: 'utf8' }).trim();
}

const oathtoolNote = oathtoolSkip ? ' (oathtool missing: codes from otpauth instead)' : '';

describeEachDatabase('MFA enrolment and sign-in' + oathtoolNote, (t) => {
  let app: FastifyInstance;
  const clock = new ManualClock(new Date('2026-06-01T09:00:00Z'));
  let org: { id: string; domain: string };

  before(async () => {
    org = await makeOrganisation(t.handle.db, { highRiskAreas: ['Finance', 'HR'] });
    ({ app } = await testApp(t.handle.db, { clock }));
  });
  after(async () => app.close());

  async function enrolTotp(c: TestClient): Promise<{ secret: string; recoveryCodes: string[] }> {
    const page = await c.get('/security/totp/new');
    assert.equal(page.status, 200);
    const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(page.body)![1]!.replace(/ /g, '');
    const factorId = /name="factorId" value="([^"]+)"/.exec(page.body)![1]!;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const wrong = await c.post('/security/totp', { factorId, code: '000000', name: 'Phone' }, { csrf });
    assert.equal(wrong.status, 400, 'enrolment completes only after a valid code');
    const done = await c.post('/security/totp', { factorId, code: codeAt(secret, clock.now()), name: 'Phone' }, { csrfFrom: '/security/enrol' });
    assert.equal(done.status, 200, done.body.slice(0, 300));
    const recoveryCodes = [...done.body.matchAll(/<li><code>([a-z2-9-]+)<\/code><\/li>/g)].map((m) => m[1]!);
    assert.equal(recoveryCodes.length, 10);
    return { secret, recoveryCodes };
  }

  test('a Finance account without MFA can reach nothing but enrolment, then must pass it at every sign-in', async () => {
    const user = await makeAccount(t.handle.db, { organisationId: org.id, businessArea: 'Finance', totp: false });
    const c = new TestClient(app);
    const r = await c.post('/signin', { email: user.email, password: TEST_PASSWORD }, { csrfFrom: '/signin' });
    assert.equal(r.headers.location, '/security/enrol');
    for (const url of ['/', '/security', '/accounts', `/accounts/${user.id}`, '/password/change', '/signin/verify']) {
      const p = await c.get(url);
      assert.equal(p.status, 303, url);
      assert.equal(p.headers.location, '/security/enrol', `${url} must lead to enrolment`);
    }
    const enrolPage = await c.get('/security/enrol');
    assert.match(enrolPage.body, /business area your organisation marks high-risk/);
    assert.doesNotMatch(enrolPage.body, /skip for now|remind me|not now|do this later|maybe later/i);
    const { secret } = await enrolTotp(c);
    assert.equal((await c.get('/')).status, 200, 'enrolment completes the sign-in');
    const stored = await t.handle.db.selectFrom('mfa_factors').select('secret_enc').where('account_id', '=', user.id).executeTakeFirstOrThrow();
    assert.ok(stored.secret_enc && !stored.secret_enc.includes(secret), 'the TOTP secret is encrypted at rest');
    const codes = await t.handle.db.selectFrom('recovery_codes').select('code_hash').where('account_id', '=', user.id).execute();
    assert.equal(codes.length, 10);

    await c.post('/signout', {}, { csrfFrom: '/' });
    const again = new TestClient(app);
    const s = await again.post('/signin', { email: user.email, password: TEST_PASSWORD }, { csrfFrom: '/signin' });
    assert.equal(s.headers.location, '/signin/verify');
    assert.equal((await again.get('/')).headers.location, '/signin/verify', 'no page before the second factor');
    const wrong = await again.post('/signin/verify', { code: '123456' }, { csrfFrom: '/signin/verify' });
    assert.equal(wrong.status, 401);
    clock.advance(30_000);
    const code = codeAt(secret, clock.now());
    const ok = await again.post('/signin/verify', { code }, { csrfFrom: '/signin/verify' });
    assert.equal(ok.status, 303);
    assert.equal((await again.get('/')).status, 200);

    const replay = new TestClient(app);
    await replay.post('/signin', { email: user.email, password: TEST_PASSWORD }, { csrfFrom: '/signin' });
    const replayed = await replay.post('/signin/verify', { code }, { csrfFrom: '/signin/verify' });
    assert.equal(replayed.status, 401, 'a used code is refused');
    assert.equal((await replay.get('/')).headers.location, '/signin/verify');
  });

  test('an account that chose MFA must pass it too; the last factor of a required account cannot be removed', async () => {
    const { db } = t.handle;
    const volunteer = await makeAccount(db, { organisationId: org.id, businessArea: 'Clinical', totp: true });
    const c = new TestClient(app, clock);
    assert.equal((await c.signIn(volunteer.email, TEST_PASSWORD)).status, 303);
    const security = await c.get('/security');
    const factorId = /action="\/security\/factors\/([^/]+)\/remove"/.exec(security.body)![1]!;
    const removed = await c.post(`/security/factors/${factorId}/remove`, {}, { csrfFrom: '/security' });
    assert.equal(removed.status, 303, 'not required: may remove');

    const admin = await makeAccount(db, { organisationId: org.id, roles: ['user', 'local-admin'] });
    const a = new TestClient(app, clock);
    await a.signIn(admin.email, TEST_PASSWORD);
    const page = await a.get('/security');
    assert.match(page.body, /has an administrative role/);
    const only = /action="\/security\/factors\/([^/]+)\/remove"/.exec(page.body)![1]!;
    const refused = await a.post(`/security/factors/${only}/remove`, {}, { csrfFrom: '/security' });
    assert.equal(refused.status, 409);
    assert.match(refused.body, /only way/);
    const left = await db.selectFrom('mfa_factors').select('id').where('account_id', '=', admin.id).execute();
    assert.equal(left.length, 1);
  });

  test('a recovery code works once', async () => {
    const user = await makeAccount(t.handle.db, { organisationId: org.id, businessArea: 'HR', totp: false });
    const c = new TestClient(app);
    await c.post('/signin', { email: user.email, password: TEST_PASSWORD }, { csrfFrom: '/signin' });
    const { recoveryCodes } = await enrolTotp(c);
    const first = new TestClient(app);
    await first.post('/signin', { email: user.email, password: TEST_PASSWORD }, { csrfFrom: '/signin' });
    const used = await first.post('/signin/verify', { recoveryCode: recoveryCodes[3]!.toUpperCase() }, { csrfFrom: '/signin/verify' });
    assert.equal(used.status, 303);
    const second = new TestClient(app);
    await second.post('/signin', { email: user.email, password: TEST_PASSWORD }, { csrfFrom: '/signin' });
    const reused = await second.post('/signin/verify', { recoveryCode: recoveryCodes[3]! }, { csrfFrom: '/signin/verify' });
    assert.equal(reused.status, 401);
  });

  test('an account flagged compromised must enrol at its next sign-in', async () => {
    const { db } = t.handle;
    const user = await makeAccount(db, { organisationId: org.id, businessArea: 'Estates', totp: false });
    const free = new TestClient(app);
    assert.equal((await free.post('/signin', { email: user.email, password: TEST_PASSWORD }, { csrfFrom: '/signin' })).headers.location, '/');
    await db.updateTable('accounts').set({ compromised_at: clock.now().toISOString() }).where('id', '=', user.id).execute();
    const c = new TestClient(app);
    const r = await c.post('/signin', { email: user.email, password: TEST_PASSWORD }, { csrfFrom: '/signin' });
    assert.equal(r.headers.location, '/security/enrol');
    assert.match((await c.get('/security/enrol')).body, /identified as compromised/);
  });
});

describeEachDatabase('sign-in lockout', (t) => {
  test('10 different wrong passwords lock for 1 minute, then 2; repeats do not count; the answer never changes', async () => {
    const { db } = t.handle;
    const clock = new ManualClock(new Date('2026-06-01T09:00:00Z'));
    const { app } = await testApp(db, { clock, config: testConfig({ signinRateLimitPerMinute: 1000 }) });
    try {
      const org = await makeOrganisation(db);
      const user = await makeAccount(db, { organisationId: org.id });
      // Each attempt from a browser without a session (a token of the pre-session is refused once signed in).
      const attempt = async (password: string): Promise<{ status: number; body: string }> =>
        new TestClient(app).post('/signin', { email: user.email, password }, { csrfFrom: '/signin' });
      for (let i = 0; i < 30; i++) assert.equal((await attempt('the-same-wrong-password')).status, 401);
      assert.equal((await attempt(TEST_PASSWORD)).status, 303, 'a repeated wrong password counts once');
      for (let i = 0; i < 10; i++) await attempt(`wrong-password-${i}`);
      const locked = await attempt(TEST_PASSWORD);
      assert.equal(locked.status, 401, 'locked: even the right password fails');
      const unknown = await attempt('whatever-it-is');
      assert.equal(locked.body.replace(/value="[^"]*"/g, ''), unknown.body.replace(/value="[^"]*"/g, ''), 'a lock looks like any failure');
      clock.advance(61_000);
      for (let i = 0; i < 10; i++) await attempt(`second-round-${i}`);
      clock.advance(61_000);
      assert.equal((await attempt(TEST_PASSWORD)).status, 401, 'the second lock lasts 2 minutes');
      clock.advance(60_000);
      assert.equal((await attempt(TEST_PASSWORD)).status, 303);
      const events = await db.selectFrom('signin_events').select(['outcome']).where('account_id', '=', user.id).execute();
      assert.ok(events.some((e) => e.outcome === 'locked'));
    } finally {
      await app.close();
    }
  });

  test('wrong codes at the second step count towards the lock, and a lock ends the half-signed-in session', async () => {
    const { db } = t.handle;
    const clock = new ManualClock(new Date('2026-06-01T09:00:00Z'));
    const { app } = await testApp(db, { clock, config: testConfig({ signinRateLimitPerMinute: 1000 }) });
    try {
      const org = await makeOrganisation(db);
      const user = await makeAccount(db, { organisationId: org.id, totp: true });
      const c = new TestClient(app);
      await c.post('/signin', { email: user.email, password: TEST_PASSWORD }, { csrfFrom: '/signin' });
      const csrf = await c.csrfFrom('/signin/verify');
      for (let i = 0; i < 10; i++) await c.post('/signin/verify', { code: String(100000 + i) }, { csrf });
      const after = await c.get('/signin/verify');
      assert.equal(after.status, 303);
      assert.match(String(after.headers.location), /^\/signin/);
      assert.notEqual(after.headers.location, '/signin/verify');
    } finally {
      await app.close();
    }
  });
});
