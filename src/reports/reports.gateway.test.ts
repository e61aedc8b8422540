import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { startGateway, type RunningGateway } from '../gateway/gateway.service.js';
import { createLogger } from '../platform/log/log.js';
import { ManualClock, testApp, testConfig, type TestClient } from '../platform/testing/app.js';
import { createTestDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation } from '../platform/testing/factories.js';
import { requirePeer } from '../platform/testing/peers.js';
import { decodeBody, parseMime } from '../platform/mail/mime/index.js';
import { openBlockList, type BlockList } from './reports.gateway.js';
import { phishMessage, signedInAndReady } from './reports.testing.js';

const run = promisify(execFile);
const swaksSkip = requirePeer('swaks', 'the end-to-end report test');

/**
 * Done when: a message forwarded as an attachment with swaks to the reporting address
 * appears in the CSOC queue with its indicators, is marked phishing, is submitted to the
 * CERT address as an attachment (byte for byte), and the next message from that sender is
 * quarantined by the gateway. The real gateway, portal and Maildir; nothing mocked.
 */
describe('reporting pipeline end to end (swaks → gateway → queue → CERT → block)', { skip: swaksSkip }, () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'pw-reports-e2e-'));
  const config = testConfig({ dataDir, smtpAddr: '127.0.0.1:0', dnsResolver: 'none', reportCertAddress: 'carecert@cert.example', reportBlockRefreshMs: 200, gatewayWorkers: 0 });
  const clock = new ManualClock(new Date());
  let handle: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: FastifyInstance;
  let gateway: RunningGateway;
  let blockList: BlockList;
  let csoc: TestClient;
  const sampleFile = path.join(dataDir, 'phish.eml');
  const sample = phishMessage({ from: 'ceo@wire-fraud.example', subject: 'Urgent wire transfer 4411', url: 'https://pay.wire-fraud.example/now' });

  before(async () => {
    handle = await createTestDatabase('sqlite');
    const org = await makeOrganisation(handle.db, { domains: ['e2e-trust.example'] });
    await makeAccount(handle.db, { organisationId: org.id, email: 'alice@e2e-trust.example' });
    const analyst = await makeAccount(handle.db, { organisationId: org.id, email: 'analyst@e2e-trust.example', roles: ['csoc'] });
    ({ app } = await testApp(handle.db, { config, clock }));
    csoc = await signedInAndReady(app, clock, analyst.email);
    // Our own block list, so the test can wait for its poll to see a change (the gateway's polls the same way).
    blockList = await openBlockList(handle.db, config);
    gateway = await startGateway(config, { db: handle.db, logger: createLogger('silent'), clock, blockList });
    writeFileSync(sampleFile, sample);
  });
  after(async () => {
    await gateway?.close(1000);
    await blockList?.close();
    await app?.close();
    await handle?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const swaks = (args: string[]) => run('swaks', ['--server', `127.0.0.1:${gateway.port}`, '--helo', 'client.e2e-trust.example', ...args], { timeout: 60_000 });

  test('report → queue → phishing → CERT → the next message from that sender is quarantined', { timeout: 180_000 }, async () => {
    await swaks(['--from', 'alice@e2e-trust.example', '--to', 'spamreports@postwarden.test', '--header', 'Subject: FW: is this real?',
      '--body', 'Please check the attached message.', '--attach-type', 'message/rfc822', '--attach-name', 'phish.eml', '--attach', `@${sampleFile}`]);

    const queue = await csoc.get('/reports?status=new');
    assert.equal(queue.status, 200, String(queue.headers.location));
    const id = new RegExp(`data-sample="([0-9a-f-]{36})"[\\s\\S]*?Urgent wire transfer 4411`).exec(queue.body)?.[1];
    assert.ok(id, 'the reported message is in the queue');
    const page = await csoc.get(`/reports/samples/${id}`);
    assert.match(page.body, /ceo@wire-fraud\.example/);
    assert.match(page.body, /hxxps:\/\/pay\[\.\]wire-fraud\[\.\]example\/now/);
    assert.match(page.body, /203\.0\.113\.9/);
    const stored = await handle.db.selectFrom('report_samples as s').innerJoin('report_blobs as b', 'b.sha256', 's.sha256').select('b.content').where('s.id', '=', id).executeTakeFirstOrThrow();
    assert.ok(Buffer.from(stored.content).equals(sample), 'the stored sample is the attachment byte for byte');

    const csrf = await csoc.csrfFrom(`/reports/samples/${id}`);
    assert.equal((await csoc.post(`/reports/samples/${id}/verdict`, { verdict: 'phishing' }, { csrf })).status, 303);
    const cert = await csoc.post(`/reports/samples/${id}/cert`, {}, { csrfFrom: `/reports/samples/${id}` });
    assert.match(String(cert.headers.location), /done=cert-sent/);
    const certDir = path.join(dataDir, 'mail', 'carecert@cert.example', 'new');
    const [file] = readdirSync(certDir);
    const attached = parseMime(readFileSync(path.join(certDir, file!))).children.find((p) => p.contentType === 'message/rfc822');
    assert.ok(attached, 'the CERT email carries the sample as message/rfc822');
    assert.ok(decodeBody(attached).equals(sample), 'the CERT copy is the original byte for byte');

    const versionBefore = blockList.version;
    const block = await csoc.post(`/reports/samples/${id}/block`, { block: 'sender-address:ceo@wire-fraud.example', days: '30' }, { csrfFrom: `/reports/samples/${id}` });
    assert.equal(block.status, 303);
    // Every node converges by polling the change counter: wait for this one's poll.
    for (let i = 0; i < 200 && blockList.version === versionBefore; i++) await new Promise((r) => setTimeout(r, 100));
    assert.notEqual(blockList.version, versionBefore, 'the block list saw the new rule within 20 s');

    await swaks(['--from', 'ceo@wire-fraud.example', '--to', 'alice@e2e-trust.example', '--header', 'Subject: One more transfer', '--body', 'Pay today.']);
    const held = await handle.db.selectFrom('gateway_quarantine').select(['reason', 'mail_from', 'detail']).where('mail_from', '=', 'ceo@wire-fraud.example').execute();
    assert.equal(held.length, 1, 'the next message from that sender is quarantined');
    assert.equal(held[0]!.reason, 'blocked');
    const inbox = path.join(dataDir, 'mail', 'alice@e2e-trust.example', 'new');
    const delivered = existsSync(inbox) ? readdirSync(inbox).map((f) => readFileSync(path.join(inbox, f), 'utf8')).filter((m) => /One more transfer/.test(m)) : [];
    assert.deepEqual(delivered, [], 'and not delivered');
  });
});
