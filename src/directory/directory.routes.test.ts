import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { cliContext } from '../platform/context.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation, TEST_PASSWORD, signedInClient } from '../platform/testing/factories.js';
import { ManualClock, TestClient, testApp } from '../platform/testing/app.js';
import { createApiToken } from '../signin/tokens.commands.js';

describeEachDatabase('directory pages and API are scoped by organisation', (t) => {
  let app: FastifyInstance;
  const clock = new ManualClock(new Date());
  let orgA: Awaited<ReturnType<typeof makeOrganisation>>;
  let orgB: Awaited<ReturnType<typeof makeOrganisation>>;
  let la: { email: string };
  let aUser: { id: string; email: string };
  let bUser: { id: string; email: string };
  let plain: { email: string };
  let admin: { email: string };
  let helpdesk: { email: string };

  before(async () => {
    const { db } = t.handle;
    orgA = await makeOrganisation(db, { name: 'Alpha Community Trust' });
    orgB = await makeOrganisation(db, { name: 'Bravo Hospital Trust' });
    la = await makeAccount(db, { organisationId: orgA.id, roles: ['user', 'local-admin'], email: `la@${orgA.domain}` });
    aUser = await makeAccount(db, { organisationId: orgA.id, displayName: 'Alice Alphason', email: `alice@${orgA.domain}` });
    bUser = await makeAccount(db, { organisationId: orgB.id, displayName: 'Bob Bravoson', email: `bob@${orgB.domain}` });
    plain = await makeAccount(db, { organisationId: orgA.id, email: `plain@${orgA.domain}` });
    admin = await makeAccount(db, { organisationId: orgB.id, roles: ['user', 'platform-admin'], email: `admin@${orgB.domain}` });
    helpdesk = await makeAccount(db, { organisationId: orgB.id, roles: ['user', 'helpdesk'], email: `helpdesk@${orgB.domain}` });
    ({ app } = await testApp(db, { clock }));
  });
  after(async () => app.close());

  // The security-questions prompt (recovery) would lead every page to itself: postpone it, as a user may.
  const signedIn = async (email: string): Promise<TestClient> => {
    const c = await signedInClient(app, clock, email);
    c.jar.store('pw_sq_prompt=; Max-Age=0');
    return c;
  };

  test('an LA lists only their own organisation, even when searching for another', async () => {
    const c = await signedIn(la.email);
    const list = await c.get('/accounts');
    assert.equal(list.status, 200);
    assert.match(list.body, /alice@/);
    assert.doesNotMatch(list.body, /bob@|Bravoson/);
    const search = await c.get('/accounts?q=bob');
    assert.doesNotMatch(search.body, /bob@|Bravoson/);
    const orgs = await c.get('/organisations');
    assert.match(orgs.body, /Alpha Community Trust/);
    assert.doesNotMatch(orgs.body, /Bravo Hospital Trust/);
  });

  test('another organisation\'s account or organisation by URL is a plain 404 that leaks nothing', async () => {
    const c = await signedIn(la.email);
    for (const url of [`/accounts/${bUser.id}`, `/organisations/${orgB.id}`, `/accounts?org=${orgB.id}`]) {
      const r = await c.get(url);
      assert.equal(r.status, 404, url);
      assert.match(r.body, /Page not found/);
      assert.doesNotMatch(r.body, /Bravo|bob@/);
    }
    const missing = await c.get('/accounts/00000000-0000-4000-8000-000000000000');
    assert.equal(missing.status, 404);
    // The two 404s must be indistinguishable apart from per-request tokens.
    const strip = (s: string): string => s.replace(/value="[^"]*"/g, '');
    assert.equal(strip((await c.get(`/accounts/${bUser.id}`)).body), strip(missing.body));
    const own = await c.get(`/accounts/${aUser.id}`);
    assert.equal(own.status, 200);
    assert.match(own.body, /Alice Alphason/);
    const ownOrg = await c.get(`/organisations/${orgA.id}`);
    assert.equal(ownOrg.status, 200);
    assert.match(ownOrg.body, /Alpha Community Trust/);
  });

  test('a user without an administrative role is refused the directory, but sees their own account', async () => {
    const c = await signedIn(plain.email);
    assert.equal((await c.get('/accounts')).status, 403);
    assert.equal((await c.get('/organisations')).status, 403);
    assert.equal((await c.get('/audit')).status, 403);
    assert.equal((await c.get(`/accounts/${aUser.id}`)).status, 404);
    const me = await c.get('/');
    assert.equal(me.status, 200);
    assert.doesNotMatch(me.body, /href="\/accounts"/);
  });

  test('a platform admin sees every organisation', async () => {
    const c = await signedIn(admin.email);
    const orgs = await c.get('/organisations');
    assert.match(orgs.body, /Alpha Community Trust/);
    assert.match(orgs.body, /Bravo Hospital Trust/);
    assert.equal((await c.get(`/accounts/${aUser.id}`)).status, 200);
  });

  test('the API applies the token account\'s scope, and refuses requests without a token', async () => {
    const { db } = t.handle;
    const { token } = await createApiToken(db, cliContext(new Date()), { email: la.email, name: 'test' });
    const auth = { authorization: `Bearer ${token}` };
    const list = await app.inject({ url: '/api/v1/accounts?limit=200', headers: auth });
    assert.equal(list.statusCode, 200);
    const emails = (list.json() as { items: { email: string }[] }).items.map((a) => a.email);
    assert.ok(emails.includes(aUser.email));
    assert.ok(!emails.includes(bUser.email));
    const other = await app.inject({ url: `/api/v1/accounts/${bUser.id}`, headers: auth });
    assert.equal(other.statusCode, 404);
    assert.doesNotMatch(other.body, /bob@/);
    assert.equal((await app.inject({ url: `/api/v1/organisations/${orgB.id}`, headers: auth })).statusCode, 404);
    const orgs = await app.inject({ url: '/api/v1/organisations', headers: auth });
    assert.deepEqual((orgs.json() as { items: { id: string }[] }).items.map((o) => o.id), [orgA.id]);
    assert.equal((await app.inject({ url: '/api/v1/accounts' })).statusCode, 401);
    assert.equal((await app.inject({ url: '/api/v1/accounts', headers: { authorization: 'Bearer pwt_nonsense' } })).statusCode, 401);
  });

  test('the API ignores session cookies: a signed-in browser cannot be driven cross-site against it', async () => {
    const c = await signedIn(admin.email);
    const r = await app.inject({ url: '/api/v1/accounts', headers: { cookie: c.jar.header() } });
    assert.equal(r.statusCode, 401);
  });

  test('CSV export holds only the actor\'s scope, and is audited', async () => {
    const c = await signedIn(la.email);
    const r = await c.get('/accounts/export.csv');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /text\/csv/);
    assert.match(r.body, /^email,display_name/);
    assert.match(r.body, /alice@/);
    assert.doesNotMatch(r.body, /bob@|Bravoson/);
    assert.equal((await c.get(`/accounts/export.csv?org=${orgB.id}`)).status, 404);
    const wide = await (await signedIn(helpdesk.email)).get('/accounts/export.csv');
    assert.match(wide.body, /bob@/);
    assert.equal((await (await signedIn(plain.email)).get('/accounts/export.csv')).status, 403);
    const events = await t.handle.db.selectFrom('audit_events').select(['actor_email', 'outcome']).where('action', '=', 'directory.accounts.export')
      .where('actor_email', 'in', [la.email, helpdesk.email, plain.email]).orderBy('seq').execute();
    assert.deepEqual(events, [{ actor_email: la.email, outcome: 'success' }, { actor_email: helpdesk.email, outcome: 'success' }], 'each export audited once; refusals export nothing');
  });

  test('an LA changes an account in their organisation, audited; elsewhere it is 404, and read-only roles get 403', async () => {
    const la1 = await signedIn(la.email);
    const form = await la1.get(`/accounts/${aUser.id}/edit`);
    assert.equal(form.status, 200);
    const bad = await la1.post(`/accounts/${aUser.id}/edit`, { displayName: '', businessArea: 'Finance' }, { csrfFrom: `/accounts/${aUser.id}/edit` });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /Enter a display name/);
    const ok = await la1.post(`/accounts/${aUser.id}/edit`, { displayName: 'Alice Alphason', businessArea: 'Finance' }, { csrfFrom: `/accounts/${aUser.id}/edit` });
    assert.equal(ok.status, 303);
    const row = await t.handle.db.selectFrom('accounts').select('business_area').where('id', '=', aUser.id).executeTakeFirstOrThrow();
    assert.equal(row.business_area, 'Finance');
    const audit = await t.handle.db.selectFrom('audit_events').select(['details', 'organisation_id']).where('action', '=', 'account.update').where('target', '=', `account:${aUser.id}`).execute();
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.organisation_id, orgA.id);
    assert.match(audit[0]!.details, /Finance/);

    const csrf = await la1.csrfFrom(`/accounts/${aUser.id}/edit`);
    assert.equal((await la1.get(`/accounts/${bUser.id}/edit`)).status, 404);
    assert.equal((await la1.post(`/accounts/${bUser.id}/edit`, { displayName: 'Hacked', businessArea: 'x' }, { csrf })).status, 404);
    const hd = await signedIn(helpdesk.email);
    const hdCsrf = await hd.csrfFrom('/');
    assert.equal((await hd.post(`/accounts/${bUser.id}/edit`, { displayName: 'Hacked', businessArea: 'x' }, { csrf: hdCsrf })).status, 403);
    assert.equal((await la1.post(`/accounts/${aUser.id}/edit`, { displayName: 'No token', businessArea: 'x' }, { csrf: null })).status, 403);
    const after = await t.handle.db.selectFrom('accounts').select('display_name').where('id', 'in', [aUser.id, bUser.id]).execute();
    assert.ok(!after.some((a) => a.display_name === 'Hacked' || a.display_name === 'No token'));
  });

  test('OpenAPI describes the API at /api/docs', async () => {
    const r = await app.inject({ url: '/api/docs' });
    assert.equal(r.statusCode, 200);
    const doc = r.json() as { openapi: string; paths: Record<string, unknown> };
    assert.match(doc.openapi, /^3\./);
    for (const p of ['/api/v1/accounts', '/api/v1/accounts/{id}', '/api/v1/organisations', '/api/v1/organisations/{id}', '/api/v1/me']) {
      assert.ok(doc.paths[p], `missing ${p}`);
    }
  });
});
