import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { cliContext } from '../platform/context.js';
import { ManualClock, TestClient, testApp } from '../platform/testing/app.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation, signedInClient } from '../platform/testing/factories.js';
import { insertSigninEvent } from '../signin/signin.repo.js';
import { createApiToken } from '../signin/tokens.commands.js';
import { raiseSuspectedCompromise } from './compromise.signals.js';

describeEachDatabase('compromised accounts in the portal and API', (t) => {
  let app: FastifyInstance;
  const clock = new ManualClock(new Date());
  let orgA: Awaited<ReturnType<typeof makeOrganisation>>;
  let orgB: Awaited<ReturnType<typeof makeOrganisation>>;
  const who: Record<string, { id: string; email: string }> = {};
  const tokens: Record<string, string> = {};

  before(async () => {
    const { db } = t.handle;
    orgA = await makeOrganisation(db, { name: 'Alpha Case Trust' });
    orgB = await makeOrganisation(db, { name: 'Bravo Case Trust' });
    who.csoc = await makeAccount(db, { organisationId: orgB.id, roles: ['user', 'csoc'], email: `csoc@${orgB.domain}` });
    who.la = await makeAccount(db, { organisationId: orgA.id, roles: ['user', 'local-admin'], email: `la@${orgA.domain}` });
    who.laB = await makeAccount(db, { organisationId: orgB.id, roles: ['user', 'local-admin'], email: `la@${orgB.domain}` });
    who.helpdesk = await makeAccount(db, { organisationId: orgB.id, roles: ['user', 'helpdesk'], email: `helpdesk@${orgB.domain}` });
    who.api = await makeAccount(db, { organisationId: orgA.id, email: `api-victim@${orgA.domain}` });
    for (const k of ['csoc', 'la', 'laB']) tokens[k] = (await createApiToken(db, cliContext(new Date()), { email: who[k]!.email, name: 'test' })).token;
    ({ app } = await testApp(db, { clock }));
  });
  after(async () => app.close());

  const signedIn = async (email: string): Promise<TestClient> => {
    const c = await signedInClient(app, clock, email);
    c.jar.store('pw_sq_prompt=; Max-Age=0'); // postpone the security-questions prompt, as a user may
    return c;
  };
  const api = (k: string, method: 'GET' | 'POST', url: string, payload?: object) => app.inject({ method, url, payload, headers: { authorization: `Bearer ${tokens[k]}` } });

  let victims = 0;
  /** A fresh account of organisation A that signed in yesterday from one Windows laptop (each test its own). */
  async function newVictim(): Promise<{ id: string; email: string }> {
    const { db } = t.handle;
    const v = await makeAccount(db, { organisationId: orgA.id, email: `victim${++victims}@${orgA.domain}`, displayName: 'Vic Tim' });
    await insertSigninEvent(db, {
      id: randomUUID(), account_id: v.id, organisation_id: orgA.id, at: new Date(clock.now().getTime() - 86_400_000).toISOString(), step: 'password', outcome: 'success',
      ip: '198.51.100.7', user_agent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0 Safari/537.36', device_id: `victim-laptop-${String(victims).padStart(6, '0')}`,
    });
    return v;
  }

  /** The CSOC marks the account from the portal. @returns the case's URL */
  async function markFromPortal(victim: { email: string }): Promise<string> {
    const c = await signedIn(who.csoc!.email);
    const ok = await c.post('/compromise/mark', { email: victim.email, reason: 'Sent phishing to colleagues', evidenceRef: 'INC-5' }, { csrfFrom: '/compromise/mark' });
    assert.equal(ok.status, 303);
    const caseUrl = String(ok.headers.location).split('?')[0]!;
    assert.match(caseUrl, /^\/compromise\/cases\/[0-9a-f-]{36}$/);
    return caseUrl;
  }

  test('the CSOC marks from the portal; the form refuses a missing reason and keeps what was typed', async () => {
    const victim = await newVictim();
    const c = await signedIn(who.csoc!.email);
    const form = await c.get(`/compromise/mark?account=${victim.id}`);
    assert.equal(form.status, 200);
    assert.match(form.body, new RegExp(`value="${victim.email.replace(/\./g, '\\.')}"`));
    const bad = await c.post('/compromise/mark', { email: victim.email, reason: '', evidenceRef: 'INC-5' }, { csrfFrom: '/compromise/mark' });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /Enter a reason/);
    assert.match(bad.body, /value="INC-5"/);
    const caseUrl = await markFromPortal(victim);
    const again = await c.post('/compromise/mark', { email: victim.email, reason: 'Again', evidenceRef: 'INC-6' }, { csrfFrom: '/compromise/mark' });
    assert.equal(again.status, 409);
    assert.match(again.body, /already marked compromised/);
    assert.match(again.body, new RegExp(`href="${caseUrl}"`));
  });

  test('the LA sees the case with its devices; other organisations and the helpdesk do not', async () => {
    const victim = await newVictim();
    const caseUrl = await markFromPortal(victim);
    const c = await signedIn(who.la!.email);
    const list = await c.get('/compromise');
    assert.equal(list.status, 200);
    assert.ok(list.body.includes(victim.email));
    const page = await c.get(caseUrl);
    assert.equal(page.status, 200);
    assert.match(page.body, /Chrome 126 on Windows/);
    assert.match(page.body, /198\.51\.100\.7/);
    assert.match(page.body, /Sent phishing to colleagues/);
    const checksToDo = [...page.body.matchAll(/<li data-check="([a-z]+)">([\s\S]*?)<\/li>/g)].filter((m) => m[2]!.includes('nhsuk-tag--grey')).map((m) => m[1]);
    assert.deepEqual(checksToDo, ['password', 'mfa', 'devices'], 'three checks to do');
    assert.equal((page.body.match(/nhsuk-tag--grey/g) ?? []).length, 4, 'the three checks and the one device that signed in');
    const b = await signedIn(who.laB!.email);
    assert.equal((await b.get(caseUrl)).status, 404);
    assert.ok(!(await b.get('/compromise')).body.includes(victim.email));
    const h = await signedIn(who.helpdesk!.email);
    assert.equal((await h.get('/compromise')).status, 403);
    assert.equal((await h.get(caseUrl)).status, 404);
    assert.equal((await c.get('/compromise/mark')).status, 403, 'LAs do not mark');
  });

  test('device records: validation in plain words, then the scan lands; closing early is refused with what is left', async () => {
    const caseUrl = await markFromPortal(await newVictim());
    const c = await signedIn(who.la!.email);
    const page = await c.get(caseUrl);
    const deviceUrl = /href="(\/compromise\/cases\/[^"]+\/devices\/[^"]+)"/.exec(page.body)![1]!;
    const csrf = await c.csrfFrom(deviceUrl);
    const bad = await c.post(`${deviceUrl}/scan`, { scannedBy: '', tool: 'Defender', result: '', scannedOn: 'yesterday' }, { csrf });
    assert.equal(bad.status, 400);
    for (const m of [/Enter who scanned the device/, /Choose the result of the scan/, /real date/]) assert.match(bad.body, m);
    assert.match(bad.body, /value="Defender"/);
    const ok = await c.post(`${deviceUrl}/scan`, { scannedBy: 'Sam Tech', tool: 'Defender', result: 'clean', scannedOn: clock.now().toISOString().slice(0, 10) }, { csrf });
    assert.equal(ok.status, 303);
    const after = await c.get(caseUrl);
    assert.match(after.body, /No malware found \(Defender, scanned by Sam Tech/);
    const close = await c.post(`${caseUrl}/close`, {}, { csrfFrom: caseUrl });
    assert.equal(close.status, 400);
    assert.match(close.body, /Still to do: the user must change their password/);
    const elsewhere = await signedIn(who.laB!.email);
    assert.equal((await elsewhere.post(`${deviceUrl}/not-ours`, { reason: 'Not our device at all' }, { csrf: await elsewhere.csrfFrom('/compromise') })).status, 404);
  });

  test('suspicions: the CSOC sees them, confirms by marking, or dismisses', async () => {
    const { db } = t.handle;
    const system = { actor: null, via: 'system' as const, ip: null, requestId: null, now: clock.now() };
    const s1 = await makeAccount(db, { organisationId: orgA.id, email: `sus1@${orgA.domain}` });
    await raiseSuspectedCompromise(db, system, { accountId: s1.id, source: 'phishing-report', detail: 'Report 555' });
    const c = await signedIn(who.csoc!.email);
    const list = await c.get('/compromise/suspected');
    assert.match(list.body, /sus1@/);
    const dismissUrl = /href="(\/compromise\/suspected\/[^"]+\/dismiss)"/.exec(list.body)![1]!;
    const empty = await c.post(dismissUrl, { note: '' }, { csrfFrom: dismissUrl });
    assert.equal(empty.status, 400);
    assert.equal((await c.post(dismissUrl, { note: 'A newsletter, not phishing' }, { csrfFrom: dismissUrl })).status, 303);
    assert.doesNotMatch((await c.get('/compromise/suspected')).body, /sus1@/);
    assert.equal((await (await signedIn(who.la!.email)).get('/compromise/suspected')).status, 403);
  });

  test('API: the CSOC marks; LAs list their cases; other organisations get 404', async () => {
    const denied = await api('la', 'POST', '/api/v1/compromise/marks', { email: who.api!.email, reason: 'x', evidenceRef: 'y' });
    assert.equal(denied.statusCode, 403);
    const r = await api('csoc', 'POST', '/api/v1/compromise/marks', { email: who.api!.email, reason: 'Token seen on GitHub', evidenceRef: 'INC-11' });
    assert.equal(r.statusCode, 201);
    const body = r.json() as { caseId: string; notified: number };
    assert.equal(body.notified, 1);
    const list = (await api('la', 'GET', '/api/v1/compromise/cases')).json() as { items: { id: string; email: string }[] };
    assert.ok(list.items.some((i) => i.id === body.caseId));
    const one = await api('la', 'GET', `/api/v1/compromise/cases/${body.caseId}`);
    assert.equal(one.statusCode, 200);
    assert.deepEqual((one.json() as { complete: boolean; password: { done: boolean } }).password.done, false);
    assert.equal((await api('laB', 'GET', `/api/v1/compromise/cases/${body.caseId}`)).statusCode, 404);
    assert.equal(((await api('laB', 'GET', '/api/v1/compromise/cases')).json() as { items: unknown[] }).items.length, 0);
  });
});
