import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ManualClock } from '../platform/clock.js';
import type { Db } from '../platform/db/db.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation, TEST_PASSWORD } from '../platform/testing/factories.js';
import { TestClient, testApp, testConfig } from '../platform/testing/app.js';
import { factorsOf, insertFactor } from './mfa.repo.js';
import { SoftAuthenticator } from './webauthn.testing.js';

const PUBLIC_URL = 'http://portal.example.test';
const RP_ID = 'portal.example.test';

async function giveKey(db: Db, accountId: string, key: SoftAuthenticator): Promise<string> {
  const id = randomUUID();
  await insertFactor(db, {
    id, accountId, kind: 'webauthn', name: 'Soft key', status: 'active', secretEnc: null, credentialId: key.credentialId,
    publicKey: key.publicKeyB64, signCount: 0, transports: ['usb'], createdAt: new Date().toISOString(),
  });
  return id;
}

describeEachDatabase('webauthn routes', (t) => {
  let app: FastifyInstance;
  let clock: ManualClock;
  let orgId: string;

  before(async () => {
    orgId = (await makeOrganisation(t.handle.db)).id;
    clock = new ManualClock(new Date());
    ({ app } = await testApp(t.handle.db, { clock, config: testConfig({ publicUrl: PUBLIC_URL, signinRateLimitPerMinute: 1000 }) }));
  });
  after(async () => app.close());

  /** POSTs to a JSON options endpoint as webauthn.js does: CSRF token in a header, no body. */
  async function options(c: TestClient, url: string, csrfPage: string, csrf?: string | null): Promise<{ status: number; json: Record<string, unknown> | null; location: unknown }> {
    const token = csrf === undefined ? await c.csrfFrom(csrfPage) : csrf;
    const r = await app.inject({ method: 'POST', url, headers: { cookie: c.jar.header(), ...(token ? { 'x-csrf-token': token } : {}) } });
    c.jar.store(r.headers['set-cookie'] as string[] | string | undefined);
    const json = String(r.headers['content-type']).includes('application/json') ? (r.json() as Record<string, unknown>) : null;
    return { status: r.statusCode, json, location: r.headers.location };
  }

  const signinEvents = (accountId: string) => t.handle.db.selectFrom('signin_events').select(['step', 'outcome']).where('account_id', '=', accountId).where('step', '=', 'webauthn').execute();

  test('a Finance account enrols with a key: recovery codes once, then a full session', async () => {
    const a = await makeAccount(t.handle.db, { organisationId: orgId, businessArea: 'Finance', totp: false });
    const c = new TestClient(app, clock);
    assert.equal((await c.signIn(a.email, TEST_PASSWORD)).location, '/security/enrol');
    const page = await c.get('/security/webauthn/new');
    assert.equal(page.status, 200);
    assert.match(page.body, /<noscript>[\s\S]*JavaScript[\s\S]*\/security\/totp\/new[\s\S]*<\/noscript>/);
    assert.match(page.body, /<script type="module" src="\/assets\/webauthn\.js"><\/script>/);

    assert.equal((await options(c, '/security/webauthn/options', '/security/webauthn/new', null)).status, 403, 'no CSRF token, no challenge');
    const o = await options(c, '/security/webauthn/options', '/security/webauthn/new');
    assert.equal(o.status, 200);
    assert.equal((o.json!.rp as { id: string }).id, RP_ID);
    const key = new SoftAuthenticator(PUBLIC_URL, RP_ID);
    const done = await c.post('/security/webauthn', { credential: JSON.stringify(key.register(String(o.json!.challenge))), name: 'Blue key' }, { csrfFrom: '/security/webauthn/new' });
    assert.equal(done.status, 200);
    assert.equal((done.body.match(/<li><code>/g) ?? []).length, 10, 'ten recovery codes shown');
    assert.match(done.body, /href="\/" id="continue"/);
    assert.equal((await c.get('/')).status, 200, 'the session is full now');
    assert.deepEqual((await factorsOf(t.handle.db, a.id)).map((f) => f.name), ['Blue key']);
  });

  test('registration without a challenge is refused with the page and its error', async () => {
    const a = await makeAccount(t.handle.db, { organisationId: orgId, businessArea: 'Finance', totp: false });
    const c = new TestClient(app, clock);
    await c.signIn(a.email, TEST_PASSWORD);
    const key = new SoftAuthenticator(PUBLIC_URL, RP_ID);
    const r = await c.post('/security/webauthn', { credential: JSON.stringify(key.register('bm90LWlzc3VlZA')), name: '' }, { csrfFrom: '/security/webauthn/new' });
    assert.equal(r.status, 400);
    assert.match(r.body, /<title>Error: Set up a security key/);
    assert.match(r.body, /expired/);
    assert.equal((await factorsOf(t.handle.db, a.id)).length, 0);
    assert.equal((await c.get('/')).headers.location, '/security/enrol', 'still owes an enrolment');
  });

  test('an mfa session signs in with its key, and goes to the next page', async () => {
    const a = await makeAccount(t.handle.db, { organisationId: orgId, businessArea: 'Finance', totp: false });
    const key = new SoftAuthenticator(PUBLIC_URL, RP_ID);
    await giveKey(t.handle.db, a.id, key);
    const c = new TestClient(app, clock);
    await c.post('/signin?next=%2Fsecurity', { email: a.email, password: TEST_PASSWORD }, { csrfFrom: '/signin' });
    const verify = await c.get('/signin/verify?next=%2Fsecurity');
    assert.match(verify.body, /Use your security key/);
    assert.match(verify.body, /action="\/signin\/webauthn\?next=%2Fsecurity"/);
    const o = await options(c, '/signin/webauthn/options', '/signin/verify');
    assert.deepEqual((o.json!.allowCredentials as { id: string }[]).map((x) => x.id), [key.credentialId]);
    const r = await c.post('/signin/webauthn?next=%2Fsecurity', { credential: JSON.stringify(key.authenticate(String(o.json!.challenge))) }, { csrfFrom: '/signin/verify' });
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, '/security');
    assert.equal((await c.get('/security')).status, 200);
    assert.deepEqual(await signinEvents(a.id), [{ step: 'webauthn', outcome: 'success' }]);
  });

  test("sign-in is refused without a challenge and with another account's key", async () => {
    const a = await makeAccount(t.handle.db, { organisationId: orgId, businessArea: 'Finance', totp: false });
    const b = await makeAccount(t.handle.db, { organisationId: orgId, businessArea: 'Finance', totp: false });
    const mine = new SoftAuthenticator(PUBLIC_URL, RP_ID);
    const theirs = new SoftAuthenticator(PUBLIC_URL, RP_ID);
    await giveKey(t.handle.db, a.id, mine);
    await giveKey(t.handle.db, b.id, theirs);
    const c = new TestClient(app, clock);
    await c.signIn(a.email, TEST_PASSWORD);

    const noChallenge = await c.post('/signin/webauthn', { credential: JSON.stringify(mine.authenticate('bm8tY2hhbGxlbmdl')) }, { csrfFrom: '/signin/verify' });
    assert.equal(noChallenge.status, 401);
    assert.match(noChallenge.body, /The request to your security key expired/);

    const o = await options(c, '/signin/webauthn/options', '/signin/verify');
    const other = await c.post('/signin/webauthn', { credential: JSON.stringify(theirs.authenticate(String(o.json!.challenge))) }, { csrfFrom: '/signin/verify' });
    assert.equal(other.status, 401);
    assert.match(other.body, /Your security key was not accepted/);

    const malformed = await c.post('/signin/webauthn', { credential: '{"id":"x"' }, { csrfFrom: '/signin/verify' });
    assert.equal(malformed.status, 400);

    assert.equal((await c.get('/')).headers.location, '/signin/verify', 'still at the mfa stage');
    assert.deepEqual(await signinEvents(a.id), [{ step: 'webauthn', outcome: 'failure' }, { step: 'webauthn', outcome: 'failure' }]);
  });

  test('stage rules: an mfa session cannot register a key; a full session cannot use the sign-in endpoints', async () => {
    const pending = await makeAccount(t.handle.db, { organisationId: orgId, businessArea: 'Finance', totp: false });
    await giveKey(t.handle.db, pending.id, new SoftAuthenticator(PUBLIC_URL, RP_ID));
    const c = new TestClient(app, clock);
    await c.signIn(pending.email, TEST_PASSWORD);
    assert.equal((await c.get('/security/webauthn/new')).headers.location, '/signin/verify');
    const csrf = await c.csrfFrom('/signin/verify');
    assert.equal((await options(c, '/security/webauthn/options', '', csrf)).location, '/signin/verify');
    assert.equal((await c.post('/security/webauthn', { credential: '{}' }, { csrf })).headers.location, '/signin/verify');

    const full = await makeAccount(t.handle.db, { organisationId: orgId, businessArea: 'Clinical', totp: false });
    const key = new SoftAuthenticator(PUBLIC_URL, RP_ID);
    await giveKey(t.handle.db, full.id, key);
    const f = new TestClient(app, clock);
    // Signs in through the key once, so the session is full.
    await f.signIn(full.email, TEST_PASSWORD);
    const o = await options(f, '/signin/webauthn/options', '/signin/verify');
    await f.post('/signin/webauthn', { credential: JSON.stringify(key.authenticate(String(o.json!.challenge))) }, { csrfFrom: '/signin/verify' });
    assert.equal((await f.get('/')).status, 200);

    const again = await options(f, '/signin/webauthn/options', '/security');
    assert.equal(again.status, 409);
    const before = (await signinEvents(full.id)).length;
    const r = await f.post('/signin/webauthn', { credential: JSON.stringify(key.authenticate(String(o.json!.challenge))) }, { csrfFrom: '/security' });
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, '/');
    assert.equal((await signinEvents(full.id)).length, before, 'nothing was verified or recorded');
  });

  test('keys are renamed and removed from Security; the last factor of an account that must use MFA stays', async () => {
    const a = await makeAccount(t.handle.db, { organisationId: orgId, businessArea: 'Finance', totp: false });
    const c = new TestClient(app, clock);
    await c.signIn(a.email, TEST_PASSWORD);
    const ids: string[] = [];
    for (const name of ['First key', 'Second key']) {
      const o = await options(c, '/security/webauthn/options', '/security/webauthn/new');
      await c.post('/security/webauthn', { credential: JSON.stringify(new SoftAuthenticator(PUBLIC_URL, RP_ID).register(String(o.json!.challenge))), name }, { csrfFrom: '/security/webauthn/new' });
      clock.advance(1000);
    }
    for (const f of await factorsOf(t.handle.db, a.id)) ids.push(f.id);
    const security = await c.get('/security');
    assert.match(security.body, /id="webauthn-key-list"/);
    assert.match(security.body, new RegExp(`/security/webauthn/${ids[0]}/rename`));

    const tooLong = await c.post(`/security/webauthn/${ids[0]}/rename`, { name: 'x'.repeat(61) }, { csrfFrom: `/security/webauthn/${ids[0]}/rename` });
    assert.equal(tooLong.status, 400);
    const renamed = await c.post(`/security/webauthn/${ids[0]}/rename`, { name: 'Keyring key' }, { csrfFrom: `/security/webauthn/${ids[0]}/rename` });
    assert.equal(renamed.status, 303);
    assert.match((await c.get('/security')).body, /Keyring key/);

    assert.equal((await c.post(`/security/factors/${ids[1]}/remove`, {}, { csrfFrom: '/security' })).status, 303);
    const last = await c.post(`/security/factors/${ids[0]}/remove`, {}, { csrfFrom: '/security' });
    assert.equal(last.status, 409);
    assert.deepEqual((await factorsOf(t.handle.db, a.id)).map((f) => f.name), ['Keyring key']);

    // Another account cannot open or rename this key.
    const other = await makeAccount(t.handle.db, { organisationId: orgId, businessArea: 'Clinical', totp: false });
    const o = new TestClient(app, clock);
    await o.signIn(other.email, TEST_PASSWORD);
    assert.equal((await o.get(`/security/webauthn/${ids[0]}/rename`)).status, 404);
    assert.equal((await o.post(`/security/webauthn/${ids[0]}/rename`, { name: 'Mine' }, { csrfFrom: '/security' })).status, 404);
  });
});
