import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { authenticate } from 'mailauth';
import { SMTPServer } from 'smtp-server';
import type { DatabaseHandle } from '../platform/db/db.js';
import { insertBlockRule } from '../reports/blocks.repo.js';
import { createTestDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation } from '../platform/testing/factories.js';
import { requirePeer } from '../platform/testing/peers.js';
import { PLATFORM, type TestGateway, message, sendRaw, startTestGateway } from './gateway.testing.js';

/**
 * Behaviour of the pipeline that does not depend on the database kind: next hops, limits,
 * TLS, ARC (failure policies: gateway.stages.test.ts). Every component is the real one
 * (MailTips over the test database, block rules as the CSOC's are stored); faults are
 * injected at the next hop: a real SMTP server that defers, a port that refuses, a peer
 * that drops the connection in DATA.
 */

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
    // A real rule, written where the CSOC's rules are kept; the gateway's own block list reads it.
    const rule = (value: string, lifted: boolean) => ({
      id: randomUUID(), kind: 'sender-address' as const, value, created_at: new Date().toISOString(), created_by: null, created_by_email: 'csoc@platform.example',
      sample_id: null, reason: 'pipeline test', expires_at: null, lifted_at: lifted ? new Date().toISOString() : null, lifted_by_email: lifted ? 'csoc@platform.example' : null,
    });
    const inForce = rule('crook@evil.example', false);
    await insertBlockRule(h.db, inForce);
    await insertBlockRule(h.db, rule('reformed@evil.example', true));
    const g = await start({});
    const r = await sendRaw(g.port, { from: 'crook@evil.example', to: [lee], raw: message({ from: 'crook@evil.example', to: lee, id: 'blocked-1@x' }) });
    assert.equal(r.code, 250);
    assert.deepEqual(g.maildir(lee).filter((m) => m.includes('<blocked-1@x>')), []);
    const row = await h.db.selectFrom('gateway_quarantine').selectAll().where('message_id', '=', '<blocked-1@x>').executeTakeFirstOrThrow();
    assert.deepEqual([row.reason, row.rule_id], ['blocked', inForce.id]);
    const lifted = await sendRaw(g.port, { from: 'reformed@evil.example', to: [lee], raw: message({ from: 'reformed@evil.example', to: lee, id: 'lifted-1@x' }) });
    assert.equal(lifted.code, 250);
    assert.equal(g.maildir(lee).filter((m) => m.includes('<lifted-1@x>')).length, 1, 'a lifted rule blocks nothing');
  });

  test('mixed next-hop outcomes: 451 for the message, and the retry delivers to nobody twice', async () => {
    const g = await start({ overrides: { relay: `smtp://127.0.0.1:${hop.port}` } });
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

  test('a next hop that refuses connections, or cuts one in DATA, gets the sender a 451 and delivers nothing', async () => {
    // A port nothing listens on: connection refused.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const refusedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const g1 = await start({ overrides: { relay: `smtp://127.0.0.1:${refusedPort}` } });
    const refused = await sendRaw(g1.port, { from: 'hop@faults.example', to: [lee], raw: message({ from: 'hop@faults.example', to: lee, id: 'refused-1@x' }) });
    assert.equal(refused.code, 451, `refused: ${refused.response}`);
    // A hop that greets, takes the envelope, then drops the connection once DATA starts.
    const cutter = createServer((sock) => {
      sock.write('220 cutter ESMTP\r\n');
      let buf = '';
      let inData = false;
      sock.on('data', (d: Buffer) => {
        if (inData) return; // never answers the message: the connection drops instead
        buf += d.toString('latin1');
        for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
          const line = buf.slice(0, i).toUpperCase();
          buf = buf.slice(i + 2);
          if (line.startsWith('EHLO') || line.startsWith('HELO')) sock.write('250 cutter\r\n');
          else if (line.startsWith('DATA')) { inData = true; sock.write('354 go on\r\n'); setTimeout(() => sock.destroy(), 50); return; }
          else if (line.startsWith('QUIT')) sock.end('221 bye\r\n');
          else if (line.length) sock.write('250 ok\r\n');
        }
      });
      sock.on('error', () => undefined);
    });
    await new Promise<void>((r) => cutter.listen(0, '127.0.0.1', r));
    try {
      const g2 = await start({ overrides: { relay: `smtp://127.0.0.1:${(cutter.address() as AddressInfo).port}` } });
      const cut = await sendRaw(g2.port, { from: 'hop@faults.example', to: [lee], raw: message({ from: 'hop@faults.example', to: lee, id: 'cut-1@x' }) });
      assert.equal(cut.code, 451, `cut: ${cut.response}`);
    } finally {
      await new Promise<void>((r) => cutter.close(() => r()));
    }
    assert.equal(hop.got.get(lee)?.some((id) => id === '<refused-1@x>' || id === '<cut-1@x>') ?? false, false);
    assert.deepEqual(g1.maildir(lee), [], 'nothing went to a local mailbox instead');
  });

  test('LMTP listener: one reply per recipient', async () => {
    const g = await start({ overrides: { relay: `smtp://127.0.0.1:${hop.port}`, smtpProtocol: 'lmtp' } });
    hop.deferOnce.add(sam);
    const r = await sendRaw(g.port, { lmtp: true, from: 'a@sender.example', to: [lee, sam], raw: message({ from: 'a@sender.example', to: lee, id: 'lmtp-1@x' }) });
    assert.deepEqual(r.accepted, [lee]);
    assert.deepEqual(r.rejected, [sam]);
    assert.deepEqual(hop.got.get(lee)?.filter((id) => id === '<lmtp-1@x>'), ['<lmtp-1@x>']);
  });

  test('messages over the size limit are refused with 552', async () => {
    const g = await start({ overrides: { smtpMaxMessageBytes: 2048 } });
    const r = await sendRaw(g.port, { from: 'a@sender.example', to: [lee], raw: message({ from: 'a@sender.example', to: lee, body: 'x'.repeat(5000) }) });
    assert.equal(r.code, 552);
    assert.deepEqual(g.maildir(lee), []);
  });

  test('ARC sealing (optional): the changed message carries a seal a later hop can verify', async () => {
    const g = await start({ overrides: { arcSeal: true } });
    const r = await sendRaw(g.port, { from: 'first@sealed.example', to: [lee], raw: message({ from: 'first@sealed.example', to: lee, subject: 'Sealed' }) });
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
    const g = await start({ overrides: { smtpTlsCert: `${dir}/cert.pem`, smtpTlsKey: `${dir}/key.pem` } });
    const r = await sendRaw(g.port, { tls: true, from: 'a@sender.example', to: [lee], raw: message({ from: 'a@sender.example', to: lee, subject: 'Over TLS' }) });
    assert.equal(r.code, 250, r.response);
    assert.match(g.maildir(lee).find((m) => m.includes('Subject: Over TLS'))!, /with ESMTPS id/);
  });
});
