import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { cliContext } from '../platform/context.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { enrolTestTotp, makeAccount, TEST_PASSWORD, signedInClient } from '../platform/testing/factories.js';
import { ManualClock, TestClient, testApp } from '../platform/testing/app.js';
import { createApiToken } from '../signin/tokens.commands.js';
import { EXPECTED_A, seedCoverage, type Seeded } from './coverage.fixtures.js';

/** The numeric cells of the coverage table, by area: [total, required, requiredEnrolled, gap, enrolled]. */
function tableOf(html: string): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const m of html.matchAll(/<tr class="nhsuk-table__row" data-area="([^"]*)">([\s\S]*?)<\/tr>/g)) {
    out[m[1]!] = [...m[2]!.matchAll(/nhsuk-table__cell--numeric">(\d+)</g)].map((n) => Number(n[1]));
  }
  return out;
}

describeEachDatabase('MFA coverage pages and API', (t) => {
  let app: FastifyInstance;
  const clock = new ManualClock(new Date());
  let s: Seeded;
  const tokens: Record<string, string> = {};

  before(async () => {
    const { db } = t.handle;
    s = await seedCoverage(db);
    ({ app } = await testApp(db, { clock }));
    for (const [who, email] of Object.entries({ la: s.la.email, csoc: s.emails.csoc, plain: s.emails.plain })) {
      tokens[who] = (await createApiToken(db, cliContext(new Date()), { email, name: 'test' })).token;
    }
  });
  after(async () => app.close());

  const signedIn = (email: string): Promise<TestClient> => signedInClient(app, clock, email);
  const api = (who: string, method: 'GET' | 'POST', url: string, payload?: object) =>
    app.inject({ method, url, payload, headers: { authorization: `Bearer ${tokens[who]}` } });
  const highRisk = async (orgId: string): Promise<string[]> =>
    JSON.parse((await t.handle.db.selectFrom('organisations').select('high_risk_areas').where('id', '=', orgId).executeTakeFirstOrThrow()).high_risk_areas) as string[];
  const marked = async (): Promise<string[]> =>
    (await t.handle.db.selectFrom('accounts').select('id').where('mfa_required', '=', 1).execute()).map((r) => r.id).sort();

  test('the LA sees per-area numbers, the people to chase, and a nav link', async () => {
    const c = await signedIn(s.la.email);
    const page = await c.get('/mfa/coverage');
    assert.equal(page.status, 200);
    const table = tableOf(page.body);
    for (const e of EXPECTED_A) assert.deepEqual(table[e.businessArea], [e.total, e.required, e.requiredEnrolled, e.required - e.requiredEnrolled, e.enrolled], e.businessArea);
    assert.match(page.body, /href="\/mfa\/coverage"/);
    for (const nick of ['f2', 'f3', 'f4', 'c3', 'c4', 'c6']) assert.match(page.body, new RegExp(`>${nick}@`));
    assert.doesNotMatch(page.body, />f1@|>c1@|Bravo Coverage/);
    const gaps = await c.get('/mfa/coverage?gaps=1&q=fin');
    assert.deepEqual(Object.keys(tableOf(gaps.body)).sort(), ['Finance', 'finance']);
  });

  test('CSV exports: per-area table and the required-but-not-enrolled list', async () => {
    const c = await signedIn(s.la.email);
    const areas = await c.get('/mfa/coverage.csv');
    assert.equal(areas.status, 200);
    assert.match(String(areas.headers['content-type']), /text\/csv/);
    assert.match(areas.body, /^organisation_code,business_area,high_risk,accounts,required,required_enrolled,required_not_enrolled,enrolled\r\n/);
    assert.match(areas.body, new RegExp(`\\r\\n${s.orgA.code},Finance,yes,3,3,1,2,1\\r\\n`));
    const missing = await c.get('/mfa/coverage/missing.csv?q=Clinical');
    assert.equal(missing.status, 200);
    assert.deepEqual(missing.body.trim().split('\r\n').slice(1).map((l) => l.split('@')[0]).sort(), ['c3', 'c4', 'c6']);
    assert.match(missing.body, /privileged-role/);
  });

  test('an LA is refused another organisation everywhere: page, CSV, preview, confirm, API', async () => {
    const c = await signedIn(s.la.email);
    for (const url of [`/mfa/coverage?org=${s.orgB.id}`, `/mfa/coverage.csv?org=${s.orgB.id}`, `/mfa/coverage/missing.csv?org=${s.orgB.id}`, '/mfa/coverage?org=nonsense']) {
      const r = await c.get(url);
      assert.equal(r.status, 404, url);
      assert.doesNotMatch(r.body, /Bravo|bf1@/);
    }
    const before = JSON.stringify([await highRisk(s.orgB.id), await marked()]);
    const csrf = await c.csrfFrom('/mfa/coverage');
    for (const step of ['preview', 'confirm']) {
      const r = await c.post(`/mfa/coverage/require-area/${step}`, { org: s.orgB.id, area: 'Estates', expected: '1' }, { csrf });
      assert.equal(r.status, 404, step);
    }
    const list = await c.post('/mfa/coverage/require-list/preview', { addresses: `${s.b.e1!.email}\n${s.b.f1!.email}` }, { csrf });
    assert.equal(list.status, 200);
    assert.match(list.body, /Not found in your organisations/);
    assert.match(list.body, new RegExp(`Line 1: ${s.b.e1!.email}`));
    assert.doesNotMatch(list.body, /id="confirm"/);
    const confirm = await c.post('/mfa/coverage/require-list/confirm', { addresses: `${s.b.e1!.email}\n${s.b.f1!.email}` }, { csrf });
    assert.equal(confirm.status, 303);
    assert.equal((await api('la', 'GET', `/api/v1/mfa/coverage?organisationId=${s.orgB.id}`)).statusCode, 404);
    assert.equal((await api('la', 'GET', `/api/v1/mfa/coverage/missing?organisationId=${s.orgB.id}`)).statusCode, 404);
    for (const dryRun of [true, false]) {
      assert.equal((await api('la', 'POST', '/api/v1/mfa/require', { organisationId: s.orgB.id, businessArea: 'Estates', dryRun })).statusCode, 404);
      const r = await api('la', 'POST', '/api/v1/mfa/require', { emails: [s.b.e1!.email], dryRun });
      assert.equal(r.statusCode, 200);
      assert.deepEqual((r.json() as { notFound: unknown[] }).notFound, [{ position: 1, email: s.b.e1!.email }]);
    }
    assert.equal(JSON.stringify([await highRisk(s.orgB.id), await marked()]), before, 'org B unchanged');
  });

  test('a plain user gets 403 and no nav link; CSOC views any organisation read-only', async () => {
    const plain = await signedIn(s.emails.plain);
    assert.equal((await plain.get('/mfa/coverage')).status, 403);
    assert.equal((await plain.get('/mfa/coverage.csv')).status, 403);
    assert.doesNotMatch((await plain.get('/')).body, /href="\/mfa\/coverage"/);
    const csrf = await plain.csrfFrom('/');
    assert.equal((await plain.post('/mfa/coverage/require-list/preview', { addresses: s.emails.plain }, { csrf })).status, 403);
    assert.equal((await api('plain', 'GET', '/api/v1/mfa/coverage')).statusCode, 403);
    assert.equal((await api('plain', 'POST', '/api/v1/mfa/require', { emails: [s.emails.plain], dryRun: true })).statusCode, 403);

    const csoc = await signedIn(s.emails.csoc);
    const page = await csoc.get(`/mfa/coverage?org=${s.orgA.id}`);
    assert.equal(page.status, 200);
    assert.match(page.body, /<select class="nhsuk-select" id="org"/);
    assert.doesNotMatch(page.body, /require-area\/preview|Lift mark/);
    assert.equal((await csoc.get(`/mfa/coverage?org=${s.orgB.id}`)).status, 200);
    const ccsrf = await csoc.csrfFrom('/');
    assert.equal((await csoc.post('/mfa/coverage/require-area/preview', { org: s.orgA.id, area: 'Estates' }, { csrf: ccsrf })).status, 403);
    assert.equal((await api('csoc', 'GET', `/api/v1/mfa/coverage?organisationId=${s.orgB.id}`)).statusCode, 200);
  });

  test('the require-list form is refused (403) like its actions to a plain user and CSOC; the LA opens it', async () => {
    const plain = await signedIn(s.emails.plain);
    const refused = await plain.get('/mfa/coverage/require-list');
    assert.equal(refused.status, 403);
    assert.doesNotMatch(refused.body, /name="addresses"/);
    assert.equal((await plain.get(`/mfa/coverage/require-list?org=${s.orgA.id}`)).status, 403);
    assert.equal((await (await signedIn(s.emails.csoc)).get('/mfa/coverage/require-list')).status, 403);
    const la = await signedIn(s.la.email);
    const form = await la.get(`/mfa/coverage/require-list?org=${s.orgA.id}`);
    assert.equal(form.status, 200);
    assert.match(form.body, /name="addresses"/);
    assert.equal((await la.get(`/mfa/coverage/require-list?org=${s.orgB.id}`)).status, 404, "another organisation's");
  });

  test('area: preview shows who is affected and changes nothing; confirm applies it; CSRF is required', async () => {
    const c = await signedIn(s.la.email);
    const csrf = await c.csrfFrom('/mfa/coverage');
    const before = await highRisk(s.orgA.id);
    const preview = await c.post('/mfa/coverage/require-area/preview', { org: s.orgA.id, area: 'Estates' }, { csrf });
    assert.equal(preview.status, 200);
    assert.match(preview.body, /<strong>2<\/strong> accounts do not/);
    assert.match(preview.body, />e1@/);
    assert.deepEqual(await highRisk(s.orgA.id), before);
    assert.equal((await c.post('/mfa/coverage/require-area/confirm', { org: s.orgA.id, area: 'Estates', expected: '2' }, { csrf: null })).status, 403);
    const stale = await c.post('/mfa/coverage/require-area/confirm', { org: s.orgA.id, area: 'Estates', expected: '7' }, { csrf });
    assert.equal(stale.status, 409);
    assert.match(stale.body, /changed since the preview/);
    assert.deepEqual(await highRisk(s.orgA.id), before);
    const done = await c.post('/mfa/coverage/require-area/confirm', { org: s.orgA.id, area: 'Estates', expected: '2' }, { csrf });
    assert.equal(done.status, 303);
    assert.deepEqual(await highRisk(s.orgA.id), [...before, 'Estates']);
    const page = await c.get(String(done.headers.location));
    assert.match(page.body, /2 accounts now have to use MFA/);
    assert.deepEqual(tableOf(page.body).Estates, [2, 2, 0, 2, 0]);
    const bad = await c.post('/mfa/coverage/require-area/preview', { org: s.orgA.id, area: '' }, { csrf });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /Enter a business area/);
  });

  test('list: preview with line numbers, confirm marks exactly those; lifting a mark', async () => {
    const c = await signedIn(s.la.email);
    const csrf = await c.csrfFrom('/mfa/coverage/require-list');
    const addresses = `${s.a.c1!.email}, nobody@${s.orgA.domain}\r\n${s.b.e1!.email}`;
    const before = await marked();
    const preview = await c.post('/mfa/coverage/require-list/preview', { addresses }, { csrf });
    assert.equal(preview.status, 200);
    assert.match(preview.body, new RegExp(`Line 1: nobody@${s.orgA.domain}`));
    assert.match(preview.body, new RegExp(`Line 2: ${s.b.e1!.email}`));
    assert.deepEqual(await marked(), before);
    const done = await c.post('/mfa/coverage/require-list/confirm', { addresses, expected: '1' }, { csrf });
    assert.equal(done.status, 303);
    assert.deepEqual(await marked(), [...before, s.a.c1!.id].sort());
    const page = await c.get(String(done.headers.location));
    assert.match(page.body, /1 account was marked/);
    assert.match(page.body, /Lift mark/);
    const lift = await c.post(`/mfa/coverage/accounts/${s.a.c1!.id}/unmark`, { org: s.orgA.id }, { csrf });
    assert.equal(lift.status, 303);
    assert.deepEqual(await marked(), before);
    assert.equal((await c.post(`/mfa/coverage/accounts/${s.b.e1!.id}/unmark`, {}, { csrf })).status, 404);
  });

  test('API: dry run previews, a real run applies; the page shows a new enrolment', async () => {
    const { db } = t.handle;
    const dry = await api('la', 'POST', '/api/v1/mfa/require', { organisationId: s.orgA.id, businessArea: 'Clinical', dryRun: true });
    assert.equal(dry.statusCode, 200);
    const d = dry.json() as { applied: boolean; affectedCount: number; affected: { email: string }[] };
    assert.equal(d.applied, false);
    assert.deepEqual(d.affected.map((a) => a.email.split('@')[0]), ['c1', 'c2']);
    assert.ok(!(await highRisk(s.orgA.id)).includes('Clinical'));
    const real = await api('la', 'POST', '/api/v1/mfa/require', { organisationId: s.orgA.id, businessArea: 'Clinical', dryRun: false, expectedAffected: d.affectedCount });
    assert.equal(real.statusCode, 200);
    assert.equal((real.json() as { applied: boolean }).applied, true);
    assert.ok((await highRisk(s.orgA.id)).includes('Clinical'));
    assert.equal((await api('la', 'POST', '/api/v1/mfa/require', { emails: ['x@y.example'] })).statusCode, 400, 'dryRun is required');

    const cov = (await api('la', 'GET', '/api/v1/mfa/coverage?q=Clinical')).json() as { areas: { businessArea: string; required: number; requiredNotEnrolled: number }[] };
    assert.deepEqual(cov.areas.map((a) => [a.businessArea, a.required]), [['Clinical', 6]]);
    const c = await signedIn(s.la.email);
    const gapBefore = tableOf((await c.get('/mfa/coverage?q=Clinical')).body).Clinical![3]!;
    const newcomer = await makeAccount(db, { organisationId: s.orgA.id, businessArea: 'Clinical', password: null });
    assert.equal(tableOf((await c.get('/mfa/coverage?q=Clinical')).body).Clinical![3], gapBefore + 1);
    await enrolTestTotp(db, newcomer.id);
    assert.equal(tableOf((await c.get('/mfa/coverage?q=Clinical')).body).Clinical![3], gapBefore);
  });

  test('OpenAPI describes the coverage API', async () => {
    const doc = (await app.inject({ url: '/api/docs' })).json() as { paths: Record<string, unknown> };
    for (const p of ['/api/v1/mfa/coverage', '/api/v1/mfa/coverage/missing', '/api/v1/mfa/require']) assert.ok(doc.paths[p], p);
  });
});
