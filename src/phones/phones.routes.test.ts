import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { cliContext } from '../platform/context.js';
import { ManualClock, TestClient, testApp, testConfig } from '../platform/testing/app.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation, signedInClient, TEST_PASSWORD } from '../platform/testing/factories.js';
import { createApiToken } from '../signin/tokens.commands.js';

describeEachDatabase('mobile numbers in the portal and API', (t) => {
  let app: FastifyInstance;
  const clock = new ManualClock(new Date());
  let orgA: Awaited<ReturnType<typeof makeOrganisation>>;
  let orgB: Awaited<ReturnType<typeof makeOrganisation>>;
  let la: { id: string; email: string };
  let user: { id: string; email: string };
  let admin: { email: string };
  let disabledA: { id: string; email: string };
  let disabledB: { id: string; email: string };
  let laToken: string;

  before(async () => {
    const { db } = t.handle;
    orgA = await makeOrganisation(db, { name: 'Alpha Phones Trust' });
    orgB = await makeOrganisation(db, { name: 'Bravo Phones Trust' });
    la = await makeAccount(db, { organisationId: orgA.id, roles: ['user', 'local-admin'], email: `la@${orgA.domain}` });
    user = await makeAccount(db, { organisationId: orgA.id, email: `user@${orgA.domain}` });
    admin = await makeAccount(db, { organisationId: orgB.id, roles: ['user', 'platform-admin'], email: `admin@${orgB.domain}` });
    disabledA = await makeAccount(db, { organisationId: orgA.id, email: `abroad@${orgA.domain}`, mobile: '+33612345678' });
    disabledB = await makeAccount(db, { organisationId: orgB.id, email: `abroad@${orgB.domain}`, mobile: '+353851234567' });
    await db.updateTable('accounts').set({ status: 'disabled', status_reason: 'non-uk-mobile' }).where('id', 'in', [disabledA.id, disabledB.id]).execute();
    laToken = (await createApiToken(db, cliContext(new Date()), { email: la.email, name: 'test' })).token;
    ({ app } = await testApp(db, { clock, config: testConfig({ allowCrownDependencyMobiles: false }) }));
  });
  after(async () => app.close());

  // The security-questions prompt (recovery) would lead every page to itself: postpone it, as a user may.
  const signedIn = async (email: string): Promise<TestClient> => {
    const c = await signedInClient(app, clock, email);
    c.jar.store('pw_sq_prompt=; Max-Age=0');
    return c;
  };
  const mobileOf = async (id: string): Promise<string | null> => (await t.handle.db.selectFrom('accounts').select('mobile').where('id', '=', id).executeTakeFirstOrThrow()).mobile;

  test('your own number: the rule in plain words, your password, E.164, a notice to you', async () => {
    const c = await signedIn(user.email);
    assert.equal((await c.get('/profile/mobile')).status, 200);
    const french = await c.post('/profile/mobile', { mobile: '+33 6 12 34 56 78', currentPassword: TEST_PASSWORD });
    assert.equal(french.status, 400);
    assert.match(french.body, /This is a French number\. Only UK mobile numbers can be registered\./);
    const guernsey = await c.post('/profile/mobile', { mobile: '07781 123456', currentPassword: TEST_PASSWORD });
    assert.match(guernsey.body, /This is a Guernsey mobile number/);
    const wrong = await c.post('/profile/mobile', { mobile: '07400 123456', currentPassword: 'not my password' });
    assert.equal(wrong.status, 400);
    assert.match(wrong.body, /Your current password is not correct/);
    assert.equal(await mobileOf(user.id), null);
    const ok = await c.post('/profile/mobile', { mobile: '07400 123456', currentPassword: TEST_PASSWORD });
    assert.equal(ok.status, 303);
    assert.equal(await mobileOf(user.id), '+447400123456');
    const notice = await t.handle.db.selectFrom('notifications').selectAll().where('template', '=', 'phones/mobile-changed').where('recipient', '=', user.email).execute();
    assert.equal(notice.length, 1);
  });

  test('an LA edits a number with the same rule; a refusal keeps what was typed', async () => {
    const c = await signedIn(la.email);
    const bad = await c.post(`/accounts/${user.id}/edit`, { displayName: 'User One', businessArea: 'Clinical', mobile: '0161 496 0123' }, { csrfFrom: `/accounts/${user.id}/edit` });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /This is a UK landline number/);
    assert.match(bad.body, /value="0161 496 0123"/);
    const ok = await c.post(`/accounts/${user.id}/edit`, { displayName: 'User One', businessArea: 'Clinical', mobile: '+44 7400 765432' }, { csrfFrom: `/accounts/${user.id}/edit` });
    assert.equal(ok.status, 303);
    assert.equal(await mobileOf(user.id), '+447400765432');
  });

  test('LA remediation: own organisation only; a UK number re-enables in one step', async () => {
    const c = await signedIn(la.email);
    const list = await c.get('/phones/disabled');
    assert.equal(list.status, 200);
    assert.match(list.body, new RegExp(`abroad@${orgA.domain}`));
    assert.doesNotMatch(list.body, /Bravo|abroad@.*bravo/i);
    for (const url of [`/accounts/${disabledB.id}/mobile/fix`, `/phones/disabled?org=${orgB.id}`]) assert.equal((await c.get(url)).status, 404, url);
    const csrf = await c.csrfFrom(`/accounts/${disabledA.id}/mobile/fix`);
    assert.equal((await c.post(`/accounts/${disabledB.id}/mobile/fix`, { mobile: '07400 123456' }, { csrf })).status, 404);
    const refused = await c.post(`/accounts/${disabledA.id}/mobile/fix`, { mobile: '+1 202 555 0123' }, { csrf });
    assert.equal(refused.status, 400);
    assert.match(refused.body, /This is a US number/);
    const fixed = await c.post(`/accounts/${disabledA.id}/mobile/fix`, { mobile: '07400 222333' }, { csrf });
    assert.equal(fixed.status, 303);
    const row = await t.handle.db.selectFrom('accounts').select(['status', 'status_reason', 'mobile']).where('id', '=', disabledA.id).executeTakeFirstOrThrow();
    assert.deepEqual(row, { status: 'active', status_reason: null, mobile: '+447400222333' });
    assert.equal((await c.get(`/accounts/${disabledA.id}/mobile/fix`)).status, 404, 'nothing left to fix');
  });

  test('platform admins run the sweep from the portal and download the report; others may not', async () => {
    const l = await signedIn(la.email);
    assert.equal((await l.get('/phones/sweeps')).status, 403);
    const c = await signedIn(admin.email);
    assert.equal((await c.get('/phones/sweeps')).status, 200);
    const unconfirmed = await c.post('/phones/sweeps', { mode: 'apply', org: orgB.code }, { csrfFrom: '/phones/sweeps' });
    assert.equal(unconfirmed.status, 400);
    assert.match(unconfirmed.body, /Confirm that you want to disable/);
    const started = await c.post('/phones/sweeps', { mode: 'dry-run', org: orgB.code }, { csrfFrom: '/phones/sweeps' });
    assert.equal(started.status, 303);
    const runUrl = String(started.headers.location);
    const runId = runUrl.split('/').pop()!;
    for (let i = 0; i < 600; i++) {
      const r = await t.handle.db.selectFrom('phone_sweep_runs').select('status').where('id', '=', runId).executeTakeFirstOrThrow();
      if (r.status === 'finished') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const page = await c.get(runUrl);
    assert.equal(page.status, 200);
    assert.match(page.body, /Finished/);
    const report = await c.get(`${runUrl}/report.csv`);
    assert.equal(report.status, 200);
    assert.match(String(report.headers['content-type']), /text\/csv/);
    assert.match(report.body, new RegExp(`${orgB.code},Bravo Phones Trust,abroad@${orgB.domain.replace(/\./g, '\\.')},'\\+353851234567,This is an Irish number\\. Only UK mobile numbers can be registered\\.,already-disabled`));
    assert.equal((await l.get(`${runUrl}/report.csv`)).status, 403);
  });

  test('API: PUT /accounts/{id}/mobile applies the rule and the scope', async () => {
    const put = (id: string, mobile: string | null) => app.inject({ method: 'PUT', url: `/api/v1/accounts/${id}/mobile`, payload: { mobile }, headers: { authorization: `Bearer ${laToken}` } });
    const bad = await put(user.id, '+353 85 123 4567');
    assert.equal(bad.statusCode, 400);
    assert.deepEqual(bad.json().problems, ['This is an Irish number. Only UK mobile numbers can be registered.']);
    const ok = await put(user.id, '07400 555666');
    assert.deepEqual([ok.statusCode, ok.json()], [200, { mobile: '+447400555666' }]);
    assert.deepEqual((await put(user.id, null)).json(), { mobile: null });
    assert.equal((await put(disabledB.id, '07400 555666')).statusCode, 404);
  });
});
