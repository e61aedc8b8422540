import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { rolesOf } from '../directory/directory.repo.js';
import type { Actor } from '../platform/context.js';
import { Conflict, Forbidden, Invalid, RateLimited } from '../platform/errors/errors.js';
import { closeMailer } from '../platform/notify/mailer.js';
import { decodeBody, leaves, parseMime } from '../platform/mail/mime/index.js';
import { testConfig } from '../platform/testing/app.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation, testCtx } from '../platform/testing/factories.js';
import { startSmtpSink } from '../platform/testing/smtpsink.js';
import { createBlockRulesFor, liftBlockRuleFor } from './blocks.commands.js';
import { submitToCertFor } from './cert.commands.js';
import { ingestReportMail, openBlockList } from './reports.gateway.js';
import { ingestReport, type ReportSource } from './reports.commands.js';
import { getReportRawFor } from './reports.queries.js';
import { inlineForward, phishMessage, reportWith } from './reports.testing.js';
import { setCampaignVerdictFor, setVerdictFor } from './triage.commands.js';

describeEachDatabase('phishing reports: intake, triage, CERT, blocks', (t) => {
  const config = testConfig({ reportCertAddress: 'cert@cert.example', reportMaxSamples: 3, reportMaxBytes: 200_000 });
  let csoc: Actor;
  let user: Actor;
  let alice: { id: string; email: string };
  let bob: { id: string; email: string };
  let orgId: string;
  const db = () => t.handle.db;
  const actorOf = async (a: { id: string; email: string }, organisationId: string): Promise<Actor> =>
    ({ accountId: a.id, email: a.email, organisationId, roles: await rolesOf(db(), a.id) });
  // As the gateway hands it over: an account's report mail authenticated (verified), anyone else's not.
  const mail = (raw: Buffer, from: string) =>
    ingestReportMail(db(), config, new Date(), raw, {
      mailFrom: from, rcptTo: ['spamreports@postwarden.test'], remoteAddress: '192.0.2.1', internalSenderAccountId: [alice, bob].find((a) => a.email === from)?.id ?? null,
    });
  const notifications = async (template: string) => db().selectFrom('notifications').select(['recipient', 'dedupe_key']).where('template', '=', template).execute();

  before(async () => {
    const org = await makeOrganisation(db(), { domains: ['trust.example'] });
    orgId = org.id;
    alice = await makeAccount(db(), { organisationId: org.id, email: 'alice@trust.example' });
    bob = await makeAccount(db(), { organisationId: org.id, email: 'bob@trust.example' });
    const c = await makeAccount(db(), { organisationId: org.id, email: 'analyst@trust.example', roles: ['csoc'] });
    csoc = await actorOf(c, org.id);
    user = await actorOf(alice, org.id);
  });

  test('one sample reported twice is stored once, both reporters linked and acknowledged', async () => {
    const sample = phishMessage({ subject: 'Mailbox full 1' });
    const a = await mail(reportWith([{ bytes: sample }], { from: alice.email }), alice.email);
    const b = await mail(reportWith([{ bytes: sample, encoding: '8bit' }], { from: bob.email }), bob.email);
    await mail(reportWith([{ bytes: sample }], { from: 'stranger@outside.example' }), 'stranger@outside.example');
    const rows = await db().selectFrom('report_samples').selectAll().where('subject', '=', 'Mailbox full 1').execute();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.report_count, 3);
    const links = await db().selectFrom('report_sample_links').select('report_id').where('sample_id', '=', rows[0]!.id).execute();
    assert.deepEqual(links.map((l) => l.report_id).sort(), [a.reportId, b.reportId, links.map((l) => l.report_id).find((id) => id !== a.reportId && id !== b.reportId)].sort());
    const blob = await db().selectFrom('report_blobs').select('content').where('sha256', '=', rows[0]!.sha256).executeTakeFirstOrThrow();
    assert.ok(Buffer.from(blob.content).equals(sample));
    const acks = (await notifications('reports/acknowledgement')).map((n) => n.recipient).sort();
    assert.deepEqual(acks, [alice.email, bob.email], 'no acknowledgement to an address outside the platform');
  });

  test('whole reports are kept and rebuilt byte for byte, without storing a verbatim sample twice', async () => {
    for (const raw of [reportWith([{ bytes: phishMessage({ subject: 'Kept 8bit' }), encoding: '8bit' }], { from: bob.email }), reportWith([{ bytes: phishMessage({ subject: 'Kept b64' }) }], { from: bob.email }), inlineForward({ from: bob.email, subject: 'Kept inline' })]) {
      const r = await mail(raw, bob.email);
      assert.ok((await getReportRawFor(db(), testCtx(csoc), r.reportId)).equals(raw));
      const row = await db().selectFrom('reports as r').innerJoin('report_blobs as b', 'b.sha256', 'r.raw_blob_sha256').select(['b.size', 'r.kind', 'r.raw_splices']).where('r.id', '=', r.reportId).executeTakeFirstOrThrow();
      if (row.raw_splices) assert.ok(row.size < raw.length / 2, `${row.kind}: the stored skeleton is small (${row.size} of ${raw.length})`);
    }
    await assert.rejects(getReportRawFor(db(), testCtx(user), (await mail(inlineForward({ from: bob.email }), bob.email)).reportId), Forbidden);
  });

  test('an inline forward is kept and flagged; refusals are clear and store nothing', async () => {
    const r = await mail(inlineForward({ from: alice.email }), alice.email);
    const report = await db().selectFrom('reports').selectAll().where('id', '=', r.reportId).executeTakeFirstOrThrow();
    assert.equal(report.kind, 'inline');
    assert.equal(report.headers_lost, 1);
    const before = (await db().selectFrom('reports').select('id').execute()).length;
    const many = reportWith([1, 2, 3, 4].map((i) => ({ bytes: phishMessage({ subject: `s${i}` }) })));
    await assert.rejects(mail(many, bob.email), (e: unknown) => e instanceof Invalid && /4 messages; at most 3/.test(e.message));
    await assert.rejects(mail(Buffer.alloc(300_000, 65), bob.email), (e: unknown) => e instanceof Invalid && /too large/.test(e.message));
    const src: ReportSource = { via: 'api', reporterAddress: 'busy@trust.example', reporterAccountId: null, remoteAddress: null, direct: true };
    const strict = testConfig({ reportMaxPerReporterPerHour: 5 });
    for (let i = 0; i < 5; i++) await ingestReport(db(), strict, testCtx(null), phishMessage({ subject: `busy ${i}` }), src);
    await assert.rejects(ingestReport(db(), strict, testCtx(null), phishMessage(), src), RateLimited);
    assert.equal((await db().selectFrom('reports').select('id').execute()).length, before + 5);
  });

  test('campaigns group by link domain; one campaign verdict reaches every reporter', async () => {
    await mail(reportWith([{ bytes: phishMessage({ subject: 'Parcel held', from: 'a@courier-one.example', url: 'https://track.parcel-scam.example/a' }) }], { from: alice.email }), alice.email);
    await mail(reportWith([{ bytes: phishMessage({ subject: 'Customs fee', from: 'b@courier-two.example', url: 'http://pay.parcel-scam.example/b' }) }], { from: bob.email }), bob.email);
    const rows = await db().selectFrom('report_samples').select(['id', 'campaign_id']).where('subject', 'in', ['Parcel held', 'Customs fee']).execute();
    assert.equal(rows.length, 2);
    assert.ok(rows[0]!.campaign_id && rows[0]!.campaign_id === rows[1]!.campaign_id);
    await assert.rejects(setCampaignVerdictFor(db(), config, testCtx(user), rows[0]!.campaign_id!, 'phishing'), Forbidden);
    assert.equal(await setCampaignVerdictFor(db(), config, testCtx(csoc), rows[0]!.campaign_id!, 'phishing'), 2);
    const verdicts = await notifications('reports/verdict');
    assert.ok(verdicts.some((n) => n.recipient === alice.email) && verdicts.some((n) => n.recipient === bob.email));
    const audit = await db().selectFrom('audit_events').select('action').where('action', '=', 'report.campaign.verdict').execute();
    assert.equal(audit.length, 1);
  });

  test('a sample already judged gives a new reporter the verdict at once', async () => {
    const sample = phishMessage({ subject: 'Judged once' });
    await mail(reportWith([{ bytes: sample }], { from: alice.email }), alice.email);
    const row = await db().selectFrom('report_samples').select('id').where('subject', '=', 'Judged once').executeTakeFirstOrThrow();
    await setVerdictFor(db(), config, testCtx(csoc), [row.id], 'spam');
    const r = await mail(reportWith([{ bytes: sample }], { from: bob.email }), bob.email);
    const keys = (await notifications('reports/verdict')).map((n) => n.dedupe_key);
    assert.ok(keys.includes(`report-verdict:${r.reportId}:${row.id}:spam`));
  });

  test('a sample sent by one of the platform\'s own accounts raises a suspected-compromise signal', async () => {
    const sample = phishMessage({ from: bob.email, subject: 'Internal phish', authResults: 'postwarden.test; dkim=pass header.d=trust.example; spf=pass smtp.mailfrom=trust.example' });
    await mail(reportWith([{ bytes: sample }], { from: alice.email }), alice.email);
    const row = await db().selectFrom('report_samples').select(['internal_account_id', 'campaign_id']).where('subject', '=', 'Internal phish').executeTakeFirstOrThrow();
    assert.equal(row.internal_account_id, bob.id);
    const s = await db().selectFrom('compromise_suspicions').select(['account_id', 'source']).where('account_id', '=', bob.id).execute();
    assert.deepEqual(s.map((x) => x.source), ['phishing-report']);
    // The same text forged from outside (no platform stamp) raises nothing.
    await mail(reportWith([{ bytes: phishMessage({ from: alice.email, subject: 'Forged', authResults: 'evil.example; dkim=pass header.d=trust.example' }) }], { from: bob.email }), bob.email);
    assert.equal((await db().selectFrom('compromise_suspicions').select('id').where('account_id', '=', alice.id).execute()).length, 0);
  });

  test('block rules from a phishing verdict reach the block list; lifted rules stop matching', async () => {
    const sample = phishMessage({ subject: 'Block me', from: 'boss@ceo-fraud.example', url: 'https://login.ceo-fraud-links.example/' });
    await mail(reportWith([{ bytes: sample }], { from: alice.email }), alice.email);
    const row = await db().selectFrom('report_samples').select('id').where('subject', '=', 'Block me').executeTakeFirstOrThrow();
    const list = await openBlockList(db(), config, { pollMs: 60_000 });
    try {
      const next = phishMessage({ from: 'boss@ceo-fraud.example', url: 'https://fine.example/' });
      assert.equal(list.match(next, { mailFrom: 'boss@ceo-fraud.example', headerFrom: null }), null);
      await assert.rejects(createBlockRulesFor(db(), config, testCtx(csoc), { sampleId: row.id, rules: [{ kind: 'sender-address', value: 'boss@ceo-fraud.example' }], reason: '' }), Conflict);
      await setVerdictFor(db(), config, testCtx(csoc), [row.id], 'phishing');
      await assert.rejects(createBlockRulesFor(db(), config, testCtx(csoc), { sampleId: row.id, rules: [{ kind: 'sender-domain', value: 'trust.example' }], reason: '' }), Invalid);
      const made = await createBlockRulesFor(db(), config, testCtx(csoc), {
        sampleId: row.id, reason: 'phish', rules: [{ kind: 'sender-address', value: 'Boss@CEO-fraud.example' }, { kind: 'url-domain', value: 'ceo-fraud-links.example' }],
      });
      assert.equal(made.length, 2);
      await list.refresh();
      assert.equal(list.match(next, { mailFrom: 'x@y.example', headerFrom: '<boss@ceo-fraud.example>' })?.kind, 'sender-address');
      assert.equal(list.match(phishMessage({ url: 'https://a.ceo-fraud-links.example/x', from: 'a@b.example' }), { mailFrom: 'a@b.example', headerFrom: null })?.kind, 'url-domain');
      await liftBlockRuleFor(db(), testCtx(csoc), made[0]!.id);
      await list.refresh();
      assert.equal(list.match(next, { mailFrom: 'boss@ceo-fraud.example', headerFrom: null }), null);
      const actions = (await db().selectFrom('audit_events').select('action').where('action', 'like', 'report.block.%').execute()).map((a) => a.action);
      assert.deepEqual(actions.sort(), ['report.block.create', 'report.block.create', 'report.block.lift']);
    } finally {
      await list.close();
    }
  });

  test('CERT submission: recorded, originals attached, refused twice unless forced, released on failure', async () => {
    // The CERT's mail server is a real SMTP server on a loopback port (the smarthost); the
    // failure is injected there: it refuses the recipient.
    const sink = await startSmtpSink();
    const viaSink = testConfig({ reportCertAddress: 'cert@cert.example', reportMaxSamples: 3, reportMaxBytes: 200_000, smarthostUrl: sink.url, smarthostRequireTls: false });
    try {
      const sample = phishMessage({ subject: 'For the CERT' });
      await mail(reportWith([{ bytes: sample }], { from: alice.email }), alice.email);
      const row = await db().selectFrom('report_samples').select('id').where('subject', '=', 'For the CERT').executeTakeFirstOrThrow();
      const r = await submitToCertFor(db(), viaSink, testCtx(csoc), { sampleIds: [row.id] });
      assert.equal(r.sent, true);
      assert.equal(sink.messages.length, 1);
      assert.deepEqual(sink.messages[0]!.to, ['cert@cert.example']);
      const sent = parseMime(sink.messages[0]!.raw);
      assert.equal(/^Message-ID: *(.*)$/im.exec(sink.messages[0]!.raw.toString('latin1'))?.[1]?.trim(), r.submission.message_id);
      const attached = leaves(sent).filter((p) => p.contentType === 'message/rfc822');
      assert.equal(attached.length, 1);
      assert.ok(decodeBody(attached[0]!).equals(sample), 'the original, byte for byte');
      await assert.rejects(submitToCertFor(db(), viaSink, testCtx(csoc), { sampleIds: [row.id] }), Conflict);
      sink.refuse = true;
      const f = await submitToCertFor(db(), viaSink, testCtx(csoc), { sampleIds: [row.id], force: true });
      assert.equal(f.sent, false);
      assert.match(f.submission.error ?? '', /554/);
      assert.equal(sink.messages.length, 1, 'nothing more arrived');
      const claim = await db().selectFrom('report_samples').select('cert_submission_id').where('id', '=', row.id).executeTakeFirstOrThrow();
      assert.equal(claim.cert_submission_id, r.submission.id, 'a failed resend leaves the earlier submission in place');
      const subs = await db().selectFrom('cert_submissions').select(['status', 'forced', 'actor_email']).orderBy('at').execute();
      assert.deepEqual(subs.map((s) => [s.status, s.forced, s.actor_email]), [['sent', 0, csoc.email], ['failed', 1, csoc.email]]);
      await assert.rejects(submitToCertFor(db(), viaSink, testCtx(user), { sampleIds: [row.id] }), Forbidden);
      void orgId;
    } finally {
      closeMailer();
      await sink.close();
    }
  });
});
