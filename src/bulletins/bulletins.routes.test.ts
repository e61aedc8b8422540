import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import type { Config } from '../platform/config/config.js';
import { dkimResolver, maildir, signedInPastPrompts } from '../platform/notify/notify.testing.js';
import { deliverDueNotifications } from '../platform/notify/runner.js';
import { ManualClock, TestClient, testApp, testConfig } from '../platform/testing/app.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation } from '../platform/testing/factories.js';
import { excerpt, renderBulletinHtml } from './bulletins.js';

test('Markdown is rendered with HTML off and sanitised; # is a second-level heading', () => {
  const html = renderBulletinHtml('# Title\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) [ok](https://example.org/a) <img src=x onerror=alert(1)>\n\n- **one**');
  assert.match(html, /<h2>Title<\/h2>/);
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/, 'raw HTML is shown as text');
  assert.doesNotMatch(html, /<script|<img|href="javascript/);
  assert.match(html, /<a href="https:\/\/example.org\/a">ok<\/a>/);
  assert.match(html, /<li><strong>one<\/strong><\/li>/);
  assert.equal(excerpt('First *para* & more.\n\nSecond.'), 'First para & more.');
});

describeEachDatabase('LA bulletins and notification history', (t) => {
  let app: FastifyInstance;
  let config: Config;
  const clock = new ManualClock(new Date());
  let admin: { email: string };
  let laA: { id: string; email: string };
  let laBoth: { id: string; email: string };
  let user: { email: string };
  let orgA: { id: string };

  before(async () => {
    const { db } = t.handle;
    orgA = await makeOrganisation(db, { name: 'Alpha Trust' });
    const orgB = await makeOrganisation(db, { name: 'Bravo Trust' });
    admin = await makeAccount(db, { organisationId: orgB.id, roles: ['user', 'platform-admin'] });
    laA = await makeAccount(db, { organisationId: orgA.id, roles: ['user', 'local-admin'] });
    laBoth = await makeAccount(db, { organisationId: orgB.id, roles: ['user', 'local-admin'] });
    await db.insertInto('account_roles').values({ account_id: laBoth.id, role: 'local-admin', scope: orgA.id }).execute();
    user = await makeAccount(db, { organisationId: orgA.id });
    config = testConfig({ dataDir: mkdtempSync(path.join(tmpdir(), 'pw-bul-')) });
    ({ app } = await testApp(db, { clock, config }));
  });
  after(async () => app.close());

  const signedIn = (email: string): Promise<TestClient> => signedInPastPrompts(app, clock, email);

  test('a platform admin writes, previews and publishes; each LA gets one email and reads it with an unread marker', async () => {
    const { db } = t.handle;
    const a = await signedIn(admin.email);
    const bad = await a.post('/bulletins', { title: 'x', category: 'Cyber security', body: 'kept text' }, { csrfFrom: '/bulletins/new' });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /Enter a title of 3 to 150 characters/);
    assert.match(bad.body, /kept text/, 'bad input loses nothing');
    const created = await a.post('/bulletins', { title: 'Password reset process review', category: 'Cyber security', body: '## Action\n\nReview your **helpdesk** process.\n\n<script>alert(1)</script>' }, { csrfFrom: '/bulletins/new' });
    assert.equal(created.status, 303);
    const url = String(created.headers.location);
    const preview = await a.get(url);
    assert.match(preview.body, /Draft preview/);
    assert.match(preview.body, /<h2>Action<\/h2>/);
    assert.doesNotMatch(preview.body, /<script>alert/);

    const la = await signedIn(laA.email);
    assert.equal((await la.get(url)).status, 404, 'LAs cannot see a draft');
    assert.doesNotMatch((await la.get('/bulletins')).body, /Password reset process review/);
    assert.equal((await la.post(`${url}/publish`, {}, { csrfFrom: '/bulletins' })).status, 403, 'only platform admins publish');

    const published = await a.post(`${url}/publish`, {}, { csrfFrom: url });
    assert.equal(published.status, 303);
    assert.equal(published.headers.location, '/bulletins?published=2', 'one email per LA, even an LA of two organisations');
    assert.equal((await a.post(`${url}/publish`, {}, { csrfFrom: '/bulletins' })).status, 303, 'publishing again is harmless');
    const rows = await db.selectFrom('notifications').select(['recipient', 'template']).where('template', '=', 'bulletins/published').execute();
    assert.deepEqual(rows.map((r) => r.recipient).sort(), [laA.email, laBoth.email].sort());

    const list = await la.get('/bulletins');
    assert.match(list.body, /Password reset process review[\s\S]*Unread/);
    assert.match(list.body, /You have 1 unread bulletin\./);
    const read = await la.get(url);
    assert.equal(read.status, 200);
    assert.match(read.body, /Review your <strong>helpdesk<\/strong> process/);
    assert.doesNotMatch((await la.get('/bulletins')).body, /nhsuk-tag--blue">Unread/);
    assert.match((await la.get('/bulletins/archive')).body, /Password reset process review/);

    assert.equal((await (await signedIn(user.email)).get('/bulletins')).status, 403, 'ordinary users do not get LA bulletins');

    assert.equal((await deliverDueNotifications({ db, config, clock })).sent, 2);
    const mail = maildir(config, laA.email);
    assert.equal(mail.length, 1);
    assert.match(mail[0]!, /^Subject: LA bulletin: Password reset process review$/m);
    assert.equal((await dkimVerify(Buffer.from(mail[0]!), { resolver: dkimResolver(config) })).results[0]!.status.result, 'pass');
  });

  test('notification history: own notifications for everyone, organisation ones for LAs, the outbox for platform admins', async () => {
    const { db } = t.handle;
    const la = await signedIn(laA.email);
    const mine = await la.get('/notifications');
    assert.equal(mine.status, 200);
    assert.match(mine.body, /LA bulletin: Password reset process review/);
    assert.match(mine.body, /About your organisations/);
    const u = await signedIn(user.email);
    const theirs = await u.get('/notifications');
    assert.equal(theirs.status, 200);
    assert.doesNotMatch(theirs.body, /Password reset process review|About your organisations/);
    assert.equal((await la.get('/outbox')).status, 403);

    await db.insertInto('notifications').values({
      id: '018f0000-0000-7000-8000-000000000001', channel: 'email', template: 'platform/test-message', recipient: 'x@example.test', account_id: null,
      organisation_id: orgA.id, payload_enc: 'v1.a.b.c', subject: null, status: 'failed', attempts: 8, next_attempt_at: clock.now().toISOString(),
      last_error: 'connect ECONNREFUSED 127.0.0.1:25', dedupe_key: null, locked_by: null, locked_until: null, created_at: clock.now().toISOString(), sent_at: null, provider_ref: null,
    }).execute();
    const a = await signedIn(admin.email);
    const failed = await a.get('/outbox?status=failed');
    assert.equal(failed.status, 200);
    assert.match(failed.body, /ECONNREFUSED/);
    const retry = await a.post('/outbox/018f0000-0000-7000-8000-000000000001/retry', {}, { csrfFrom: '/outbox?status=failed' });
    assert.equal(retry.status, 303);
    const row = await db.selectFrom('notifications').select(['status', 'attempts']).where('id', '=', '018f0000-0000-7000-8000-000000000001').executeTakeFirstOrThrow();
    assert.deepEqual({ ...row, attempts: Number(row.attempts) }, { status: 'pending', attempts: 0 });
    const audit = await db.selectFrom('audit_events').select(['action', 'target']).where('action', '=', 'notification.retry').execute();
    assert.deepEqual(audit, [{ action: 'notification.retry', target: 'notification:018f0000-0000-7000-8000-000000000001' }]);
    assert.equal((await a.post('/outbox/018f0000-0000-7000-8000-000000000001/retry', {}, { csrfFrom: '/outbox' })).status, 409, 'only failed ones');
  });
});
