import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { newId } from '../platform/ids.js';
import { ManualClock, type TestClient, testApp, testConfig } from '../platform/testing/app.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation, signedInClient } from '../platform/testing/factories.js';
import { insertQuarantine } from './gateway.repo.js';
import { readMaildir } from './gateway.testing.js';

describeEachDatabase('quarantine pages', (t) => {
  let app: FastifyInstance;
  const clock = new ManualClock(new Date());
  const dir = mkdtempSync(path.join(tmpdir(), 'pw-gw-routes-'));
  let csoc: string;
  let la: string;
  let lee: string;
  let held: string;
  const signedIn = async (email: string): Promise<TestClient> => {
    const c = await signedInClient(app, clock, email);
    c.jar.store('pw_sq_prompt=; Max-Age=0');
    return c;
  };

  before(async () => {
    const { db } = t.handle;
    const org = await makeOrganisation(db);
    lee = (await makeAccount(db, { organisationId: org.id, email: `lee@${org.domain}` })).email;
    csoc = (await makeAccount(db, { organisationId: org.id, roles: ['user', 'csoc'] })).email;
    la = (await makeAccount(db, { organisationId: org.id, roles: ['user', 'local-admin'] })).email;
    held = await insertQuarantine(db, {
      id: newId(), messageKey: newId(), receivedAt: new Date().toISOString(), reason: 'spoofed-system-mail', ruleId: null,
      detail: "From postwarden.test no-reply address but not signed with the platform's DKIM key", mailFrom: 'x@evil.example',
      headerFrom: 'no-reply@postwarden.test', recipients: [lee], subject: 'Your <b>password</b> expires', messageId: '<r@x>', size: 80,
      remoteAddress: '192.0.2.1', smtpSessionId: 'sess1', raw: Buffer.from(`From: no-reply@postwarden.test\r\nTo: ${lee}\r\nSubject: Your password expires\r\n\r\nsecret body\r\n`),
    });
    ({ app } = await testApp(db, { clock, config: testConfig({ dataDir: dir }) }));
  });
  after(async () => app.close());

  test('the CSOC sees the list and the header (escaped), never the body', async () => {
    const c = await signedIn(csoc);
    const list = await c.get('/quarantine');
    assert.equal(list.status, 200);
    assert.match(list.body, /Spoofed system mail/);
    assert.match(list.body, /Your &lt;b&gt;password&lt;\/b&gt; expires/);
    const item = await c.get(`/quarantine/${held}`);
    assert.equal(item.status, 200);
    assert.match(item.body, /Subject: Your password expires/);
    assert.doesNotMatch(item.body, /secret body/);
    assert.equal((await c.get('/quarantine?status=bogus')).status, 404);
    assert.equal((await c.get(`/quarantine/${newId()}`)).status, 404);
    assert.equal((await c.get('/quarantine/not-an-id')).status, 404);
  });

  test('a Local Administrator is refused', async () => {
    const c = await signedIn(la);
    assert.equal((await c.get('/quarantine')).status, 403);
    assert.equal((await c.get(`/quarantine/${held}`)).status, 403);
  });

  test('release needs the CSRF token, delivers, and shows the outcome', async () => {
    const c = await signedIn(csoc);
    const noCsrf = await c.post(`/quarantine/${held}/release`, {}, { csrf: null });
    assert.equal(noCsrf.status, 403);
    assert.equal(readMaildir(path.join(dir, 'mail'), lee).length, 0);
    const r = await c.post(`/quarantine/${held}/release`, {}, { csrfFrom: `/quarantine/${held}` });
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, `/quarantine/${held}?done=released`);
    assert.equal(readMaildir(path.join(dir, 'mail'), lee).length, 1);
    const page = await c.get(`/quarantine/${held}?done=released`);
    assert.match(page.body, /was released/);
    assert.doesNotMatch(page.body, /id="release"/, 'no second release');
    const again = await c.post(`/quarantine/${held}/delete`, {}, { csrfFrom: '/quarantine' });
    assert.equal(again.status, 409);
  });
});
