import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { cliContext } from '../platform/context.js';
import { ManualClock, testApp, testConfig, type TestClient } from '../platform/testing/app.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation } from '../platform/testing/factories.js';
import { createApiToken } from '../signin/tokens.commands.js';
import { decodeBody, parseMime } from '../platform/mail/mime/index.js';
import { buildTestMsg } from './msg.testing.js';
import { HOSTILE_HTML, phishMessage, signedInAndReady } from './reports.testing.js';
import { FRAME_CSP } from './safeview.js';

describeEachDatabase('phishing report pages and API', (t) => {
  let app: FastifyInstance;
  const clock = new ManualClock(new Date());
  const dataDir = mkdtempSync(path.join(tmpdir(), 'pw-reports-routes-'));
  const config = testConfig({ dataDir, reportMaxBytes: 60_000, reportCertAddress: 'carecert@cert.example' });
  const tokens: Record<string, string> = {};
  const emails: Record<string, string> = {};
  let csocClient: TestClient;

  before(async () => {
    const { db } = t.handle;
    const org = await makeOrganisation(db, { domains: ['routes-trust.example'] });
    for (const [who, roles] of [['alice', ['user']], ['bob', ['user']], ['csoc', ['csoc']]] as const) {
      emails[who] = (await makeAccount(db, { organisationId: org.id, email: `${who}@routes-trust.example`, roles: [...roles] })).email;
      tokens[who] = (await createApiToken(db, cliContext(new Date()), { email: emails[who]!, name: 'report button' })).token;
    }
    ({ app } = await testApp(db, { config, clock }));
    csocClient = await signedInAndReady(app, clock, emails.csoc!);
  });
  after(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const post = (who: string, body: Buffer, type = 'message/rfc822') =>
    app.inject({ method: 'POST', url: '/api/v1/reports', payload: body, headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': type } });
  const get = (who: string, url: string) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${tokens[who]}` } });

  test('report button API: raw message or .msg in, clear refusals, tokens only', async () => {
    const r = await post('alice', phishMessage({ subject: 'API report', html: HOSTILE_HTML }));
    assert.equal(r.statusCode, 201, r.body);
    const body = r.json() as { reportId: string; samples: { sha256: string; format: string }[] };
    assert.equal(body.samples[0]!.format, 'rfc822');
    const msg = await post('alice', buildTestMsg({ subject: 'Outlook report', senderEmail: 'x@evil-msg.example', body: 'https://evil-msg.example/' }), 'application/octet-stream');
    assert.equal((msg.json() as { samples: { format: string }[] }).samples[0]!.format, 'msg');
    const empty = await post('alice', Buffer.alloc(0));
    assert.equal(empty.statusCode, 400);
    const big = await post('alice', Buffer.alloc(70_000, 65));
    assert.equal(big.statusCode, 413);
    assert.match((big.json() as { message: string }).message, /too large: 0\.1 MB, the limit is 0\.1 MB/);
    const anon = await app.inject({ method: 'POST', url: '/api/v1/reports', payload: phishMessage(), headers: { 'content-type': 'message/rfc822' } });
    assert.equal(anon.statusCode, 401);
  });

  test('reading reports: the CSOC reads all with indicators, others only their own', async () => {
    const mine = (await post('bob', phishMessage({ subject: 'Bob report' }))).json() as { reportId: string };
    const own = (await get('bob', '/api/v1/reports')).json() as { items: { id: string; samples: { indicators?: unknown }[] }[] };
    assert.deepEqual(own.items.map((i) => i.id), [mine.reportId]);
    assert.equal(own.items[0]!.samples[0]!.indicators, undefined);
    assert.equal((await get('alice', `/api/v1/reports/${mine.reportId}`)).statusCode, 404, "another person's report is not found");
    const csoc = await get('csoc', `/api/v1/reports/${mine.reportId}`);
    assert.equal(csoc.statusCode, 200);
    const report = csoc.json() as { samples: { sha256: string; subject: string; sender: string; indicators: { urls: { defanged: string }[] } }[] };
    assert.match(report.samples[0]!.sha256, /^[0-9a-f]{64}$/);
    assert.equal(report.samples[0]!.subject, 'Bob report');
    assert.equal(report.samples[0]!.sender, 'helpdesk@evil-phish.example');
    assert.equal(report.samples[0]!.indicators.urls[0]!.defanged, 'hxxps://login[.]evil-phish[.]example/verify?id=42');
    const all = (await get('csoc', '/api/v1/reports?limit=2')).json() as { items: unknown[]; next: string | null };
    assert.equal(all.items.length, 2);
    assert.ok(all.next);
  });

  test('portal upload: raw bytes with the CSRF header, refused without it', async () => {
    const c = await signedInAndReady(app, clock, emails.alice!);
    const page = await c.get('/reports/upload');
    assert.equal(page.status, 200);
    assert.match(page.body, /src="\/reports\/assets\/report-upload\.js"/);
    const csrf = /data-csrf="([^"]+)"/.exec(page.body)![1]!;
    const send = (headers: Record<string, string>) => app.inject({
      method: 'POST', url: '/reports/upload', payload: phishMessage({ subject: 'Uploaded file' }),
      headers: { cookie: c.jar.header(), 'content-type': 'application/octet-stream', 'x-filename': 'mail.eml', ...headers },
    });
    assert.equal((await send({})).statusCode, 403);
    const ok = await send({ 'x-csrf-token': csrf });
    assert.equal(ok.statusCode, 201, ok.body);
    const list = await c.get(`/reports/upload?sent=${(ok.json() as { reportId: string }).reportId}`);
    assert.match(list.body, /we received your report/);
    assert.match(list.body, /“Uploaded file” – being checked/);
    const js = await app.inject({ method: 'GET', url: '/reports/assets/report-upload.js' });
    assert.equal(js.statusCode, 200);
    assert.match(String(js.headers['content-type']), /javascript/);
    assert.equal((await c.get('/reports')).status, 403, 'only the CSOC sees the queue');
  });

  test('the CSOC queue, sample page, safe frame, verdict, block, CERT submission to the Maildir', async () => {
    const queue = await csocClient.get('/reports?status=new&q=API%20report');
    assert.equal(queue.status, 200);
    const id = /data-sample="([0-9a-f-]{36})"/.exec(queue.body)![1]!;
    const page = await csocClient.get(`/reports/samples/${id}`);
    assert.equal(page.status, 200);
    assert.match(page.body, /hxxps:\/\/login\[\.\]evil-phish\[\.\]example\/verify/);
    assert.match(page.body, /<iframe[^>]*sandbox[^>]*>/);
    assert.doesNotMatch(page.body, /<iframe[^>]*allow-scripts/);
    const frame = await csocClient.get(`/reports/samples/${id}/html`);
    assert.equal(frame.headers['content-security-policy'], FRAME_CSP);
    assert.doesNotMatch(frame.body, /<script|onerror|onload|href=|src=/i);
    const original = await app.inject({ method: 'GET', url: `/reports/samples/${id}/original`, headers: { cookie: csocClient.jar.header() } });
    assert.equal(original.headers['content-type'], 'application/octet-stream');
    assert.match(String(original.headers['content-disposition']), /^attachment;/);

    assert.equal((await csocClient.post('/reports/bulk', { ids: id, action: 'assign', returnTo: '/reports' }, { csrfFrom: '/reports' })).status, 303);
    assert.match((await csocClient.get(`/reports/samples/${id}`)).body, /Assigned to csoc@/);
    const v = await csocClient.post(`/reports/samples/${id}/verdict`, { verdict: 'phishing' }, { csrfFrom: `/reports/samples/${id}` });
    assert.equal(v.status, 303);
    const blockPage = await csocClient.get(`/reports/samples/${id}`);
    assert.match(blockPage.body, /value="sender-address:helpdesk@evil-phish\.example"/);
    const b = await csocClient.post(`/reports/samples/${id}/block`, { block: 'url-domain:evil-phish.example', days: '30', reason: 'campaign' }, { csrfFrom: `/reports/samples/${id}` });
    assert.equal(b.status, 303);
    const bad = await csocClient.post(`/reports/samples/${id}/block`, { block: 'sender-domain:routes-trust.example', days: '30' }, { csrfFrom: `/reports/samples/${id}` });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /an organisation(&#39;|')s own domain/);
    const rules = await csocClient.get('/reports/blocks');
    assert.match(rules.body, /data-rule="evil-phish\.example"/);

    const cert = await csocClient.post(`/reports/samples/${id}/cert`, {}, { csrfFrom: `/reports/samples/${id}` });
    assert.match(String(cert.headers.location), /done=cert-sent/);
    const dir = path.join(dataDir, 'mail', 'carecert@cert.example', 'new');
    const files = readdirSync(dir);
    assert.equal(files.length, 1);
    const sent = parseMime(readFileSync(path.join(dir, files[0]!)));
    const attached = sent.children.find((p) => p.contentType === 'message/rfc822');
    const sha = /<code>([0-9a-f]{64})<\/code>/.exec(page.body)![1]!;
    const stored = await t.handle.db.selectFrom('report_blobs').select('content').where('sha256', '=', sha).executeTakeFirstOrThrow();
    assert.ok(attached && decodeBody(attached).equals(Buffer.from(stored.content)), 'the CERT gets the sample byte for byte');
    const again = await csocClient.post(`/reports/samples/${id}/cert`, {}, { csrfFrom: `/reports/samples/${id}` });
    assert.match(String(again.headers.location), /problem=cert-already/);
    assert.match((await csocClient.get('/reports/submissions')).body, /carecert@cert\.example/);
  });
});
