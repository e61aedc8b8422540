import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { testConfig } from '../testing/app.js';
import { listLocalSms } from './sms.local.js';
import { sendSms, smsProvider } from './sms.js';

const SERVICE_ID = '26785a09-ab16-4eb0-8407-a37497a57506';
const SECRET = '3d844edf-8d35-48ac-975b-e847b4f122b0';
const TEMPLATE_ID = 'f33517ff-2a88-4f6e-b855-c550268ce08a';

test('GOV.UK Notify: the real client sends path, JSON body and a signed JWT to the configured API', async () => {
  const seen: { method?: string; url?: string; auth?: string; body: unknown }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body: JSON.parse(Buffer.concat(chunks).toString()) });
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: '740e5834-3a29-46b4-9a6f-16142fde533a', reference: 'ref', content: { body: 'x' } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as AddressInfo;
    const config = testConfig({
      dataDir: mkdtempSync(path.join(tmpdir(), 'pw-sms-')), notifyApiKey: `postwarden_test-${SERVICE_ID}-${SECRET}`,
      notifySmsTemplateId: TEMPLATE_ID, notifyBaseUrl: `http://127.0.0.1:${port}`,
    });
    assert.equal(smsProvider(config), 'govuk-notify');
    const r = await sendSms({ config }, { to: '+447400123456', body: 'Your code is 123456', reference: 'n-1' });
    assert.equal(r.providerRef, 'notify:740e5834-3a29-46b4-9a6f-16142fde533a');
    assert.equal(seen.length, 1);
    const req = seen[0]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.url, '/v2/notifications/sms');
    assert.deepEqual(req.body, { template_id: TEMPLATE_ID, phone_number: '+447400123456', personalisation: { body: 'Your code is 123456' }, reference: 'n-1' });
    const m = /^Bearer ([\w-]+)\.([\w-]+)\.([\w-]+)$/.exec(req.auth ?? '');
    assert.ok(m, 'a JWT bearer token');
    const claims = JSON.parse(Buffer.from(m[2]!, 'base64url').toString()) as { iss: string; iat: number };
    assert.equal(claims.iss, SERVICE_ID);
    assert.equal(JSON.parse(Buffer.from(m[1]!, 'base64url').toString()).alg, 'HS256');
    assert.equal(createHmac('sha256', SECRET).update(`${m[1]}.${m[2]}`).digest('base64url'), m[3], 'signed with the key secret');
    assert.deepEqual(await listLocalSms(config), [], 'nothing in the local outbox');
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('GOV.UK Notify errors are reported without the message body', async () => {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status_code: 400, errors: [{ error: 'BadRequestError', message: 'Missing personalisation: Your code is 654321' }] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as AddressInfo;
    const config = testConfig({ notifyApiKey: `k-${SERVICE_ID}-${SECRET}`, notifySmsTemplateId: TEMPLATE_ID, notifyBaseUrl: `http://127.0.0.1:${port}` });
    await assert.rejects(sendSms({ config }, { to: '+447400123456', body: 'Your code is 654321' }), (err: Error) => {
      assert.equal(err.message, 'GOV.UK Notify answered 400 (BadRequestError)');
      return true;
    });
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('without Notify settings, SMS go to the local outbox, newest last', async () => {
  const config = testConfig({ dataDir: mkdtempSync(path.join(tmpdir(), 'pw-sms-')) });
  assert.equal(smsProvider(config), 'local');
  await sendSms({ config, now: new Date('2026-01-01T10:00:00Z') }, { to: '+447400000001', body: 'first' });
  await sendSms({ config, now: new Date('2026-01-01T10:00:01Z') }, { to: '+447400000002', body: 'second' });
  assert.deepEqual((await listLocalSms(config)).map((s) => [s.to, s.body, s.at]), [
    ['+447400000001', 'first', '2026-01-01T10:00:00.000Z'], ['+447400000002', 'second', '2026-01-01T10:00:01.000Z'],
  ]);
});
