import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ManualClock, TestClient, testApp } from '../platform/testing/app.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation, TEST_PASSWORD } from '../platform/testing/factories.js';
import { signedInPastPrompts, skipQuestionsPrompt } from '../platform/notify/notify.testing.js';
import { DAY_MS } from './reminders.js';

describeEachDatabase('password lifetime and expiry at sign-in', (t) => {
  let app: FastifyInstance;
  const clock = new ManualClock(new Date());
  let orgA: { id: string };
  let orgB: { id: string };
  let laA: { email: string };
  let user: { id: string; email: string };

  before(async () => {
    const { db } = t.handle;
    orgA = await makeOrganisation(db);
    orgB = await makeOrganisation(db);
    laA = await makeAccount(db, { organisationId: orgA.id, roles: ['user', 'local-admin'] });
    user = await makeAccount(db, { organisationId: orgA.id });
    ({ app } = await testApp(db, { clock }));
  });
  after(async () => app.close());

  test('an LA sets their organisation\'s lifetime (audited); another organisation is a 404', async () => {
    const { db } = t.handle;
    const la: TestClient = await signedInPastPrompts(app, clock, laA.email);
    const page = await la.get(`/organisations/${orgA.id}/password-expiry`);
    assert.equal(page.status, 200);
    assert.match(page.body, /expire 365 days after they are set/);
    assert.equal((await la.get(`/organisations/${orgB.id}/password-expiry`)).status, 404);
    const bad = await la.post(`/organisations/${orgA.id}/password-expiry`, { lifetimeDays: 'soon' });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /whole number of days/);
    assert.equal((await la.post(`/organisations/${orgA.id}/password-expiry`, { lifetimeDays: '90' })).status, 303);
    assert.match((await la.get(`/organisations/${orgA.id}/password-expiry`)).body, /expire 90 days after/);
    assert.equal((await la.post(`/organisations/${orgB.id}/password-expiry`, { lifetimeDays: '1' }, { csrfFrom: `/organisations/${orgA.id}/password-expiry` })).status, 404);
    const audit = await db.selectFrom('audit_events').select(['action', 'details']).where('action', '=', 'organisation.password_lifetime').execute();
    assert.equal(audit.length, 1);
    assert.deepEqual(JSON.parse(audit[0]!.details), { from: 365, to: 90 });
  });

  test('an expired password must be changed at the next sign-in', async () => {
    const { db } = t.handle;
    const fresh = await signedInPastPrompts(app, clock, user.email);
    assert.equal((await fresh.get('/')).status, 200, 'within its lifetime: no change needed');
    await db.updateTable('accounts').set({ password_changed_at: new Date(clock.now().getTime() - 91 * DAY_MS).toISOString() }).where('id', '=', user.id).execute();
    const c = new TestClient(app, clock);
    const r = await c.signIn(user.email, TEST_PASSWORD);
    assert.equal(r.status, 303);
    assert.equal(r.location, '/password/change');
    assert.equal((await c.get('/')).headers.location, '/password/change', 'nothing else until it is changed');
    const row = await db.selectFrom('accounts').select('must_change_password').where('id', '=', user.id).executeTakeFirstOrThrow();
    assert.equal(Number(row.must_change_password), 1);
    const changed = await c.post('/password/change', { current: TEST_PASSWORD, next: 'a-brand-new-long-passphrase-7', confirm: 'a-brand-new-long-passphrase-7' });
    assert.equal(changed.status, 303);
    await skipQuestionsPrompt(c);
    assert.equal((await c.get('/')).status, 200, 'a new password lifts it');
  });
});
