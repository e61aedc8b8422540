import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, test } from 'node:test';
import { dkimSign } from 'mailauth';
import { rolesOf } from '../directory/directory.repo.js';
import { PLATFORM, type TestGateway, sendRaw, startTestGateway } from '../gateway/gateway.testing.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation, testCtx } from '../platform/testing/factories.js';
import { phishMessage, reportWith } from './reports.testing.js';
import { getSampleFor } from './triage.commands.js';

/**
 * A report's From is the sender's word until the gateway authenticates it. Through the real
 * gateway: a report forged from outside in an account's name is kept and triaged but
 * unverified — no acknowledgement to that account, no compromise signal from its samples;
 * the same report, DKIM-signed by the account's domain, is verified and acknowledged.
 */

describeEachDatabase('report mail: who the reporter is', (t) => {
  let g: TestGateway;
  let domain: string;
  let csoc: Parameters<typeof testCtx>[0];
  const selector = 's1';
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const orgKey = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const reportAddress = `spamreports@${PLATFORM}`;

  before(async () => {
    const org = await makeOrganisation(t.handle.db);
    domain = org.domain;
    const analyst = await makeAccount(t.handle.db, { organisationId: org.id, email: `analyst@${domain}`, roles: ['csoc'] });
    csoc = { accountId: analyst.id, email: analyst.email, organisationId: org.id, roles: await rolesOf(t.handle.db, analyst.id) };
    const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    g = await startTestGateway(t.handle.db, {
      zone: { [`${selector}._domainkey.${domain}`]: { TXT: [[`v=DKIM1; k=rsa; p=${p}`]] }, [`_dmarc.${domain}`]: { TXT: [['v=DMARC1; p=reject']] } },
    });
  });
  after(() => g.close());

  /** Two fresh accounts: the reporter, and the colleague the reported sample claims to come from (stamped by our gateway). */
  async function scenario(name: string) {
    const org = await t.handle.db.selectFrom('organisation_domains').select('organisation_id').where('domain', '=', domain).executeTakeFirstOrThrow();
    const reporter = await makeAccount(t.handle.db, { organisationId: org.organisation_id, email: `${name}-reporter@${domain}` });
    const colleague = await makeAccount(t.handle.db, { organisationId: org.organisation_id, email: `${name}-colleague@${domain}` });
    const subject = `Invoice ${name} ${t.dialect}`;
    const sample = phishMessage({ from: colleague.email, subject, authResults: `${PLATFORM}; dkim=pass header.d=${domain}; spf=pass smtp.mailfrom=${domain}` });
    return { reporter, colleague, subject, report: reportWith([{ bytes: sample }], { from: reporter.email, to: reportAddress }) };
  }
  const stored = async (reporterAddress: string) => t.handle.db.selectFrom('reports').select(['id', 'reporter_verified', 'reporter_account_id']).where('reporter_address', '=', reporterAddress).execute();
  const acks = async (to: string) => t.handle.db.selectFrom('notifications').select('id').where('template', '=', 'reports/acknowledgement').where('recipient', '=', to).execute();
  const suspicions = async (accountId: string) => t.handle.db.selectFrom('compromise_suspicions').select('source').where('account_id', '=', accountId).execute();
  const sampleOf = async (subject: string) => t.handle.db.selectFrom('report_samples').select(['id', 'internal_account_id']).where('subject', '=', subject).execute();

  test('forged from outside (no SPF, DKIM or DMARC pass): stored and triaged, unverified, nothing sent, no compromise signal', async () => {
    const s = await scenario('forged');
    const r = await sendRaw(g.port, { from: s.reporter.email, to: [reportAddress], raw: s.report });
    assert.equal(r.code, 250, r.response);
    const rows = await stored(s.reporter.email);
    assert.equal(rows.length, 1, 'kept');
    assert.equal(rows[0]!.reporter_verified, 0);
    assert.equal(rows[0]!.reporter_account_id, null, 'not linked to the account it names');
    assert.deepEqual(await acks(s.reporter.email), [], 'no acknowledgement to the named account');
    const samples = await sampleOf(s.subject);
    assert.equal(samples.length, 1, 'the sample is in the queue');
    assert.equal(samples[0]!.internal_account_id, null, 'its claimed internal origin is not taken from an unverified report');
    assert.deepEqual(await suspicions(s.colleague.id), []);
    assert.deepEqual(await suspicions(s.reporter.id), []);
    const shown = await getSampleFor(t.handle.db, testCtx(csoc), samples[0]!.id);
    assert.deepEqual(shown.reporters.map((x) => [x.address, x.verified]), [[s.reporter.email, false]], 'the CSOC sees it unverified');
  });

  test('DKIM-signed by the reporter\'s domain (DMARC-aligned pass): verified, acknowledged, the internal sender flagged', async () => {
    const s = await scenario('signed');
    const signed = await dkimSign(s.report, { signatureData: [{ signingDomain: domain, selector, privateKey: orgKey }] } as unknown as Parameters<typeof dkimSign>[1]);
    const r = await sendRaw(g.port, { from: s.reporter.email, to: [reportAddress], raw: Buffer.concat([Buffer.from(signed.signatures), s.report]) });
    assert.equal(r.code, 250, r.response);
    const rows = await stored(s.reporter.email);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.reporter_verified, 1);
    assert.equal(rows[0]!.reporter_account_id, s.reporter.id);
    assert.equal((await acks(s.reporter.email)).length, 1, 'acknowledged once');
    const samples = await sampleOf(s.subject);
    assert.equal(samples[0]!.internal_account_id, s.colleague.id);
    assert.deepEqual((await suspicions(s.colleague.id)).map((x) => x.source), ['phishing-report']);
    const shown = await getSampleFor(t.handle.db, testCtx(csoc), samples[0]!.id);
    assert.deepEqual(shown.reporters.map((x) => [x.address, x.verified]), [[s.reporter.email, true]]);
  });

  test('signed, but with a second From address: not verified (whose report would it be?)', async () => {
    const s = await scenario('two-from');
    const report = Buffer.from(s.report.toString('binary').replace(`From: <${s.reporter.email}>`, `From: <${s.reporter.email}>, <helpdesk@evil.example>`), 'binary');
    const signed = await dkimSign(report, { signatureData: [{ signingDomain: domain, selector, privateKey: orgKey }] } as unknown as Parameters<typeof dkimSign>[1]);
    const r = await sendRaw(g.port, { from: s.reporter.email, to: [reportAddress], raw: Buffer.concat([Buffer.from(signed.signatures), report]) });
    assert.equal(r.code, 250, r.response);
    const rows = await stored(s.reporter.email);
    assert.deepEqual(rows.map((x) => [x.reporter_verified, x.reporter_account_id]), [[0, null]]);
    assert.deepEqual(await acks(s.reporter.email), []);
    assert.deepEqual(await suspicions(s.colleague.id), []);
  });
});
