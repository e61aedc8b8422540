import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { SMTPServer } from 'smtp-server';
import type { DnsResolver } from '../platform/smtp/dns.js';
import { testConfig } from '../platform/testing/app.js';
import { withOwnDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation } from '../platform/testing/factories.js';
import { message, sendRaw, startTestGateway } from './gateway.testing.js';
import { pipelineStages } from './pipeline.stages.js';

/**
 * The pipeline's failure policy with the real stage list and real components, faults
 * injected at the boundaries (DNS, the database): a stage that runs out of time or crashes
 * answers 451 and hands nothing to the next hop.
 */

/** A real SMTP next hop that counts every transaction it is offered. */
async function startCountingHop(): Promise<{ port: number; transactions: () => number; close(): Promise<void> }> {
  let transactions = 0;
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false, disableReverseLookup: true,
    onMailFrom(_a, _s, cb) {
      transactions++;
      cb();
    },
    onData(stream, _s, cb) {
      stream.resume();
      stream.on('end', () => cb());
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.server.address() as AddressInfo).port, transactions: () => transactions, close: () => new Promise((r) => server.close(() => r())) };
}

/** DNS that never answers (a resolver that has gone silent). */
const silentDns: DnsResolver = () => new Promise(() => undefined);

describe('pipeline stages [sqlite]', () => {
  test('the stage list, in order, each with a time limit', () => {
    const stages = pipelineStages(testConfig({ smtpStageTimeoutMs: 1234, relayTimeoutMs: 2000 }));
    assert.deepEqual(stages.map((s) => `${s.name}/${s.scope}/${s.onFailure}/${s.timeoutMs}`), [
      'authenticate/message/tempfail/1234', 'sanitise/message/tempfail/1234', 'reports/message/tempfail/1234', 'imitations/message/tempfail/1234',
      'block/message/tempfail/1234', 'spoof/message/tempfail/1234', 'quarantine/message/tempfail/1234', 'tips/message/tempfail/1234',
      'stamp/copy/tempfail/1234', 'seal/copy/tempfail/1234', 'deliver/copy/tempfail/7000', 'record/message/tempfail/1234',
      'database/message/tempfail/1234', 'remember/message/skip/1234',
    ]);
  });

  test('a stage that runs past its time limit (DNS gone silent) answers 451 and the next hop is never called', { timeout: 30_000 }, async () => {
    await withOwnDatabase('sqlite', async ({ db }) => {
      const org = await makeOrganisation(db);
      const lee = (await makeAccount(db, { organisationId: org.id, email: `lee@${org.domain}` })).email;
      const hop = await startCountingHop();
      const g = await startTestGateway(db, { overrides: { relay: `smtp://127.0.0.1:${hop.port}`, smtpStageTimeoutMs: 300 }, resolver: silentDns });
      try {
        const started = Date.now();
        const r = await sendRaw(g.port, { from: 'a@sender.example', to: [lee], raw: message({ from: 'a@sender.example', to: lee }) });
        assert.equal(r.code, 451, r.response);
        assert.match(r.response, /^451 4\.3\.0 Temporary local problem \(authenticate\), try again later/);
        assert.ok(Date.now() - started < 10_000, 'answered at the time limit, not when DNS gives up');
        assert.equal(hop.transactions(), 0);
      } finally {
        await g.close();
        await hop.close();
      }
    });
  });

  test('a stage that crashes (the sender history table is gone) answers 451 and the next hop is never called', { timeout: 30_000 }, async () => {
    await withOwnDatabase('sqlite', async ({ db }) => {
      const org = await makeOrganisation(db);
      const lee = (await makeAccount(db, { organisationId: org.id, email: `lee@${org.domain}` })).email;
      const hop = await startCountingHop();
      const g = await startTestGateway(db, { overrides: { relay: `smtp://127.0.0.1:${hop.port}` } });
      try {
        const ok = await sendRaw(g.port, { from: 'a@sender.example', to: [lee], raw: message({ from: 'a@sender.example', to: lee }) });
        assert.equal(ok.code, 250, `the same path works before the fault: ${ok.response}`);
        assert.equal(hop.transactions(), 1);
        await sql`ALTER TABLE mailtips_sender_days RENAME TO mailtips_sender_days_gone`.execute(db);
        const r = await sendRaw(g.port, { from: 'b@other-sender.example', to: [lee], raw: message({ from: 'b@other-sender.example', to: lee }) });
        assert.equal(r.code, 451, r.response);
        assert.match(r.response, /^451 4\.3\.0 Temporary local problem \(tips\), try again later/);
        assert.equal(hop.transactions(), 1, 'nothing more was handed to the next hop');
      } finally {
        await g.close();
        await hop.close();
      }
    });
  });
});

