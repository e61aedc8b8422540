import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { register } from 'prom-client';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation } from '../platform/testing/factories.js';
import { PLATFORM, type TestGateway, message, sendRaw, signAsPlatform, startTestGateway } from './gateway.testing.js';

async function quarantinedCount(reason: string): Promise<number> {
  const m = await register.getSingleMetric('postwarden_gateway_quarantined_total')?.get();
  return m?.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

describeEachDatabase('SMTP gateway end to end', (t) => {
  let g: TestGateway;
  let lee: string;
  let sam: string;
  before(async () => {
    const org = await makeOrganisation(t.handle.db);
    lee = (await makeAccount(t.handle.db, { organisationId: org.id, email: `lee@${org.domain}` })).email;
    sam = (await makeAccount(t.handle.db, { organisationId: org.id, email: `sam@${org.domain}` })).email;
    g = await startTestGateway(t.handle.db);
  });
  after(() => g.close());

  test('the first message from a sender carries the first-contact tip; the second does not', async () => {
    const from = `news-${t.dialect}@sender.example`;
    const first = await sendRaw(g.port, { from, to: [lee], raw: message({ from, to: lee }) });
    assert.equal(first.code, 250, first.response);
    const second = await sendRaw(g.port, { from, to: [lee], raw: message({ from, to: lee, subject: 'Again' }) });
    assert.equal(second.code, 250, second.response);
    const box = g.maildir(lee).filter((m) => m.includes(`From: ${from}`));
    assert.equal(box.length, 2);
    const [a, b] = [box.find((m) => m.includes('Subject: Hello'))!, box.find((m) => m.includes('Subject: Again'))!];
    assert.match(a, /^X-Postwarden-Safety-Tip: first-contact/m);
    assert.match(a, /postwarden-safety-tip/, 'visible banner in the text');
    assert.doesNotMatch(b, /first-contact/);
    assert.match(b, /^X-Postwarden-Safety-Tip: low-volume count=1 threshold=5 window=90d/m, 'still a rarely seen sender');
    assert.match(a, new RegExp(`^Authentication-Results: ${PLATFORM};`, 'm'));
    assert.match(a, /^Received: from .*\r\n\tby platform\.example \(Postwarden\) with ESMTP id /m);
  });

  test('unknown local recipients are refused at RCPT (550 5.1.1); foreign domains are not relayed', async () => {
    const unknown = await sendRaw(g.port, { from: 'x@sender.example', to: [lee.replace('lee@', 'nobody@')], raw: message({ from: 'x@sender.example', to: 'nobody' }) });
    assert.equal(unknown.code, 550);
    assert.match(unknown.response, /5\.1\.1/);
    const foreign = await sendRaw(g.port, { from: 'x@sender.example', to: ['someone@elsewhere.example'], raw: message({ from: 'x@sender.example', to: 'someone@elsewhere.example' }) });
    assert.equal(foreign.code, 550);
    assert.match(foreign.response, /5\.7\.1 Relaying denied/);
  });

  test("inbound Authentication-Results claiming our authserv-id are removed; other hops' stay", async () => {
    const from = `ar-${t.dialect}@sender.example`;
    const extra = `Authentication-Results: ${PLATFORM}; dkim=pass header.d=bank.example\r\nAuthentication-Results: mx.other.example; spf=pass\r\n`;
    const r = await sendRaw(g.port, { from, to: [lee], raw: message({ from, to: lee, subject: 'AR test', extra }) });
    assert.equal(r.code, 250);
    const m = g.maildir(lee).find((x) => x.includes('Subject: AR test'))!;
    assert.doesNotMatch(m, /header\.d=bank\.example/);
    assert.match(m, /Authentication-Results: mx\.other\.example; spf=pass/);
    assert.equal(m.match(new RegExp(`^Authentication-Results: ${PLATFORM}`, 'gm'))!.length, 1);
  });

  test('a forged no-reply@ message is quarantined (kept, not delivered, counted); the genuine one is delivered without tips', async () => {
    const before = await quarantinedCount('spoofed-system-mail');
    const noReply = `no-reply@${PLATFORM}`;
    const forged = await sendRaw(g.port, { from: 'bounce@evil.example', to: [lee], raw: message({ from: `"Password team" <${noReply}>`, to: lee, subject: 'Your password expires today', id: `forged-${t.dialect}@x` }) });
    assert.equal(forged.code, 250, 'accepted (and kept), so the sender learns nothing');
    assert.equal(g.maildir(lee).filter((m) => m.includes('Your password expires today')).length, 0);
    const held = await t.handle.db.selectFrom('gateway_quarantine').selectAll().where('message_id', '=', `<forged-${t.dialect}@x>`).execute();
    assert.equal(held.length, 1);
    assert.equal(held[0]!.reason, 'spoofed-system-mail');
    assert.match(held[0]!.detail, /DKIM/);
    assert.deepEqual(JSON.parse(held[0]!.recipients), [lee]);
    assert.ok(held[0]!.raw_b64 && Buffer.from(held[0]!.raw_b64, 'base64').toString().includes('Your password expires today'));
    assert.equal(await quarantinedCount('spoofed-system-mail'), before + 1);

    // The real reminder: signed with the platform's key, to the recipient's own address.
    const genuine = await signAsPlatform(g.config, message({ from: `Postwarden <${noReply}>`, to: lee, subject: 'Your password expires in 5 days', id: `genuine-${t.dialect}@x`, body: 'Change it at https://portal.example/password/change\r\n' }));
    const r = await sendRaw(g.port, { from: noReply, to: [lee, sam], raw: genuine });
    assert.equal(r.code, 250);
    const delivered = g.maildir(lee).find((m) => m.includes('Your password expires in 5 days'));
    assert.ok(delivered, 'delivered to the address it names');
    assert.doesNotMatch(delivered, /X-Postwarden-Safety-Tip/, 'genuine system mail gets no tip, not even the account-link warning');
    assert.match(delivered, /dkim=pass header\.i=@platform\.example header\.s=pw1/);
    assert.equal(g.maildir(sam).filter((m) => m.includes('Your password expires in 5 days')).length, 0, 'not to someone it does not name');
    const samCopy = await t.handle.db.selectFrom('gateway_quarantine').select(['recipients', 'detail']).where('message_id', '=', `<genuine-${t.dialect}@x>`).executeTakeFirstOrThrow();
    assert.deepEqual(JSON.parse(samCopy.recipients), [sam]);
    assert.match(samCopy.detail, /own address/);
  });

  test('a lure ("verify your account through this link") from anyone else gets the account-link warning', async () => {
    const from = `it-support-${t.dialect}@helpdesk-mail.example`;
    const r = await sendRaw(g.port, { from, to: [sam], raw: message({ from, to: sam, subject: 'Mailbox quota', body: 'Your mailbox will be suspended. Verify your account here: https://evil.example/verify\r\n' }) });
    assert.equal(r.code, 250);
    const m = g.maildir(sam).find((x) => x.includes('Subject: Mailbox quota'))!;
    assert.match(m, /^X-Postwarden-Safety-Tip: .*account-link/m);
  });

  test('forged tips are stripped: a sender can neither fake nor suppress one', async () => {
    const from = `forger-${t.dialect}@sender.example`;
    const r = await sendRaw(g.port, { from, to: [sam], raw: message({ from, to: sam, subject: 'Forged tip', extra: 'X-Postwarden-Safety-Tip: none\r\n' }) });
    assert.equal(r.code, 250);
    const m = g.maildir(sam).find((x) => x.includes('Subject: Forged tip'))!;
    assert.deepEqual(m.match(/^X-Postwarden-Safety-Tip: .*$/gm), ['X-Postwarden-Safety-Tip: first-contact; low-volume count=0 threshold=5 window=90d']);
  });

  test('mail to the reporting address goes to the report store (250 only once it is kept), never to a mailbox or a tip', async () => {
    const phish = message({ from: 'it@evil.example', to: lee, subject: 'Verify now', body: 'Click https://evil.example/x\r\n' });
    const boundary = 'b1';
    const report = `From: ${lee}\r\nTo: spamreports@${PLATFORM}\r\nSubject: Fw: Verify now\r\nMessage-ID: <report-${t.dialect}@x>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n--${boundary}\r\nContent-Type: text/plain\r\n\r\nPhishing, see attached.\r\n--${boundary}\r\nContent-Type: message/rfc822\r\n\r\n${phish}\r\n--${boundary}--\r\n`;
    const r = await sendRaw(g.port, { from: lee, to: [`spamreports@${PLATFORM}`], raw: report });
    assert.equal(r.code, 250, r.response);
    const rows = await t.handle.db.selectFrom('reports').select(['via', 'reporter_address', 'kind', 'sample_count', 'comment']).where('via', '=', 'smtp').execute();
    assert.deepEqual(rows, [{ via: 'smtp', reporter_address: lee, kind: 'attachment', sample_count: 1, comment: 'Phishing, see attached.' }], 'the one report this suite sent, stored');
    assert.deepEqual(g.maildir(`spamreports@${PLATFORM}`), []);
  });
});
