import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { authenticate } from 'mailauth';
import { SMTPServer } from 'smtp-server';
import type { MailtipsService, TipDecision } from '../mailtips/mailtips.service.js';
import type { DatabaseHandle } from '../platform/db/db.js';
import { createTestDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation } from '../platform/testing/factories.js';
import { requirePeer } from '../platform/testing/peers.js';
import { PLATFORM, type TestGateway, message, sendRaw, startTestGateway } from './gateway.testing.js';

/** Behaviour of the pipeline that does not depend on the database kind: next hops, limits, TLS, ARC (failure policies: gateway.stages.test.ts). */

interface NextHopServer {
  port: number;
  /** Recipient → Message-IDs received. */
  got: Map<string, string[]>;
  /** Recipients refused with 451 at RCPT the next time they are offered. */
  deferOnce: Set<string>;
  close(): Promise<void>;
}

async function startNextHop(): Promise<NextHopServer> {
  const got = new Map<string, string[]>();
  const deferOnce = new Set<string>();
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false, disableReverseLookup: true,
    onRcptTo(address, _s, cb) {
      const a = address.address.toLowerCase();
      if (deferOnce.delete(a)) return cb(Object.assign(new Error('4.2.0 try later'), { responseCode: 451 }));
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const id = /^Message-ID: (.*)$/im.exec(Buffer.concat(chunks).toString())?.[1]?.trim() ?? '?';
        for (const r of session.envelope.rcptTo) got.set(r.address.toLowerCase(), [...(got.get(r.address.toLowerCase()) ?? []), id]);
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.server.address() as AddressInfo).port, got, deferOnce, close: () => new Promise((r) => server.close(() => r())) };
}

function stubTips(over: Partial<MailtipsService>): MailtipsService {
  const none: TipDecision = { firstContact: false, lowVolume: false, senderCount: 10, threshold: 5, windowDays: 90, accountLinkWarning: false, exempt: null };
  return {
    decide: async (rcpts) => rcpts.map(() => ({ ...none })),
    recordDelivered: async () => undefined,
    stats: () => ({}) as ReturnType<MailtipsService['stats']>,
    close: async () => undefined,
    ...over,
  };
}

describe('SMTP gateway pipeline [sqlite]', () => {
  let h: DatabaseHandle & { drop(): Promise<void> };
  let lee: string;
  let sam: string;
  let hop: NextHopServer;
  const open: TestGateway[] = [];
  const start = async (o: Parameters<typeof startTestGateway>[1]): Promise<TestGateway> => {
    const g = await startTestGateway(h.db, o);
    open.push(g);
    return g;
  };
  before(async () => {
    h = await createTestDatabase('sqlite');
    const org = await makeOrganisation(h.db);
    lee = (await makeAccount(h.db, { organisationId: org.id, email: `lee@${org.domain}` })).email;
    sam = (await makeAccount(h.db, { organisationId: org.id, email: `sam@${org.domain}` })).email;
    hop = await startNextHop();
  });
  after(async () => {
    for (const g of open) await g.close();
    await hop.close();
    await h.drop();
  });

  test('a block-rule match quarantines the message with the rule id', async () => {
    const g = await start({
      mailtips: stubTips({}),
      blockList: { match: (_raw, env) => (env.headerFrom === 'crook@evil.example' ? { ruleId: 'rule-1', kind: 'sender-address', value: 'crook@evil.example' } : null), close: async () => undefined, version: 1, refresh: async () => undefined },
    });
    const r = await sendRaw(g.port, { from: 'crook@evil.example', to: [lee], raw: message({ from: 'crook@evil.example', to: lee, id: 'blocked-1@x' }) });
    assert.equal(r.code, 250);
    assert.deepEqual(g.maildir(lee), []);
    const row = await h.db.selectFrom('gateway_quarantine').selectAll().where('message_id', '=', '<blocked-1@x>').executeTakeFirstOrThrow();
    assert.equal(row.reason, 'blocked');
    assert.equal(row.rule_id, 'rule-1');
  });

  test('mixed next-hop outcomes: 451 for the message, and the retry delivers to nobody twice', async () => {
    const g = await start({ overrides: { relay: `smtp://127.0.0.1:${hop.port}` }, mailtips: stubTips({}) });
    hop.deferOnce.add(sam);
    const raw = message({ from: 'a@sender.example', to: `${lee}, ${sam}`, id: 'mixed-1@x' });
    const first = await sendRaw(g.port, { from: 'a@sender.example', to: [lee, sam], raw });
    assert.equal(first.code, 451, first.response);
    assert.deepEqual(hop.got.get(lee), ['<mixed-1@x>']);
    assert.equal(hop.got.get(sam), undefined);
    const retry = await sendRaw(g.port, { from: 'a@sender.example', to: [lee, sam], raw: `Received: from the sender's queue\r\n${raw}` });
    assert.equal(retry.code, 250, retry.response);
    assert.deepEqual(hop.got.get(lee), ['<mixed-1@x>'], 'lee got it once');
    assert.deepEqual(hop.got.get(sam), ['<mixed-1@x>'], 'sam got it on the retry');
  });

  test('LMTP listener: one reply per recipient', async () => {
    const g = await start({ overrides: { relay: `smtp://127.0.0.1:${hop.port}`, smtpProtocol: 'lmtp' }, mailtips: stubTips({}) });
    hop.deferOnce.add(sam);
    const r = await sendRaw(g.port, { lmtp: true, from: 'a@sender.example', to: [lee, sam], raw: message({ from: 'a@sender.example', to: lee, id: 'lmtp-1@x' }) });
    assert.deepEqual(r.accepted, [lee]);
    assert.deepEqual(r.rejected, [sam]);
    assert.deepEqual(hop.got.get(lee)?.filter((id) => id === '<lmtp-1@x>'), ['<lmtp-1@x>']);
  });

  test('messages over the size limit are refused with 552', async () => {
    const g = await start({ overrides: { smtpMaxMessageBytes: 2048 }, mailtips: stubTips({}) });
    const r = await sendRaw(g.port, { from: 'a@sender.example', to: [lee], raw: message({ from: 'a@sender.example', to: lee, body: 'x'.repeat(5000) }) });
    assert.equal(r.code, 552);
    assert.deepEqual(g.maildir(lee), []);
  });

  test('ARC sealing (optional): the changed message carries a seal a later hop can verify', async () => {
    const g = await start({ overrides: { arcSeal: true } });
    const r = await sendRaw(g.port, { from: 'a@sender.example', to: [lee], raw: message({ from: 'a@sender.example', to: lee, subject: 'Sealed' }) });
    assert.equal(r.code, 250);
    const copy = g.maildir(lee).find((m) => m.includes('Subject: Sealed'))!;
    assert.match(copy, /X-Postwarden-Safety-Tip: first-contact/);
    const delivered = copy.slice(copy.indexOf('ARC-Seal:'));
    const dkim = readFileSync(path.join(g.config.dataDir, 'dkim', 'pw1.pem'), 'utf8');
    const { createPublicKey } = await import('node:crypto');
    const p = createPublicKey(dkim).export({ type: 'spki', format: 'der' }).toString('base64');
    const later = await authenticate(Buffer.from(delivered), {
      ip: '192.0.2.7', mta: 'mx.later.example', disableBimi: true,
      resolver: async (name: string) => {
        if (name === `pw1._domainkey.${PLATFORM}`) return [[`v=DKIM1; k=rsa; p=${p}`]];
        throw Object.assign(new Error('none'), { code: 'ENOTFOUND' });
      },
    } as Parameters<typeof authenticate>[1]);
    assert.equal((later.arc as { status: { result: string } }).status.result, 'pass');
  });

  test('STARTTLS is offered when a certificate is configured', { skip: requirePeer('openssl', 'the STARTTLS test (it makes a certificate)') }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pw-tls-'));
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`, '-days', '2', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    assert.equal(made.status, 0, 'openssl made the test certificate');
    const g = await start({ overrides: { smtpTlsCert: `${dir}/cert.pem`, smtpTlsKey: `${dir}/key.pem` }, mailtips: stubTips({}) });
    const r = await sendRaw(g.port, { tls: true, from: 'a@sender.example', to: [lee], raw: message({ from: 'a@sender.example', to: lee, subject: 'Over TLS' }) });
    assert.equal(r.code, 250, r.response);
    assert.match(g.maildir(lee).find((m) => m.includes('Subject: Over TLS'))!, /with ESMTPS id/);
  });
});
