import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ManualClock } from '../platform/clock.js';
import type { Config } from '../platform/config/config.js';
import { renderEmail, renderSms } from '../platform/notify/render.js';
import { testApp, testConfig } from '../platform/testing/app.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { enrolTestTotp, makeAccount, makeOrganisation, signedInClient } from '../platform/testing/factories.js';

/** Removing a sign-in method tells the account by email: whoever holds the session may not be its owner. */

describeEachDatabase('the account is told when a sign-in method is removed', (t) => {
  let app: FastifyInstance;
  let config: Config;
  const clock = new ManualClock(new Date('2026-06-01T09:00:00Z'));

  before(async () => {
    ({ app, config } = await testApp(t.handle.db, { clock }));
  });
  after(async () => app.close());

  test('removing an authenticator app enqueues one email to the account itself, naming the method', async () => {
    const { db } = t.handle;
    const org = await makeOrganisation(db);
    const u = await makeAccount(db, { organisationId: org.id, totp: true });
    await enrolTestTotp(db, u.id);
    const [first] = await db.selectFrom('mfa_factors').select(['id', 'name']).where('account_id', '=', u.id).orderBy('id').execute();
    const c = await signedInClient(app, clock, u.email);
    const r = await c.post(`/security/factors/${first!.id}/remove`, {}, { csrfFrom: '/security' });
    assert.equal(r.status, 303);
    const sent = await db.selectFrom('notifications').select(['channel', 'template', 'recipient']).where('account_id', '=', u.id).execute();
    assert.deepEqual(sent, [{ channel: 'email', template: 'mfa/factor-removed', recipient: u.email }]);
  });
});

test('the notices render: factor removed, mobile changed (email and text to the previous number)', () => {
  const config = testConfig();
  const removed = renderEmail(config, 'mfa/factor-removed', { displayName: 'Pat', kind: 'authenticator app', name: 'Work phone', at: '2026-06-01T09:00:00.000Z', last: true });
  assert.equal(removed.subject, 'A sign-in method was removed from your account');
  assert.match(removed.text, /The authenticator app "Work phone" was removed from your account/);
  assert.match(removed.text, /no longer has a second sign-in method/);
  const data = { displayName: 'Pat', removed: false, lastDigits: '456', changedBy: 'la@example.test (Local Administrator)', byOther: true, at: '2026-06-01T09:00:00.000Z' };
  const mail = renderEmail(config, 'phones/mobile-changed', data);
  assert.match(mail.text, /changed to a number ending 456 by la@example\.test \(Local Administrator\)/);
  assert.match(mail.text, /cannot be used to reset your password for the next few days/);
  const sms = renderSms(config, 'phones/mobile-changed', data);
  assert.equal(sms.body, `${config.serviceName}: the mobile number on your account was changed to a number ending 456. If you did not expect this, call the helpdesk on ${config.helpdeskPhone}.`);
});
