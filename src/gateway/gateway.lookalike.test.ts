import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { composeSignedEmail } from '../platform/notify/mailer.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation } from '../platform/testing/factories.js';
import { PLATFORM, type TestGateway, message, sendRaw, signWithoutSeal, startTestGateway } from './gateway.testing.js';

/**
 * Through the real gateway: whatever claims to be the platform — the no-reply address in
 * any originator field, a look-alike of it, a genuine message with fields added — is held
 * as spoofed system mail; the genuine reminder, as the platform sends it, is delivered.
 */

describeEachDatabase('the gateway holds every imitation of the platform', (t) => {
  let g: TestGateway;
  let lee: string;
  const noReply = `no-reply@${PLATFORM}`;
  const now = new Date(Date.now() - 60_000); // verifiers refuse signatures from the future
  let n = 0;
  const id = (what: string): string => `${what}-${t.dialect}-${++n}@x`;

  before(async () => {
    const org = await makeOrganisation(t.handle.db);
    lee = (await makeAccount(t.handle.db, { organisationId: org.id, email: `lee@${org.domain}` })).email;
    g = await startTestGateway(t.handle.db);
  });
  after(() => g.close());

  const reminder = async (messageId: string): Promise<string> =>
    (await composeSignedEmail(g.config, { to: lee, subject: 'Your password expires in 5 days', text: 'Change it in the portal.', date: now, messageId: `<${messageId}>` })).raw.toString('utf8');
  const delivered = (messageId: string): number => g.maildir(lee).filter((m) => m.includes(messageId)).length;
  const held = async (messageId: string) => t.handle.db.selectFrom('gateway_quarantine').select(['reason', 'detail', 'recipients']).where('message_id', '=', `<${messageId}>`).execute();

  async function assertHeld(messageId: string, raw: string, detail: RegExp, mailFrom = 'bounce@evil.example'): Promise<void> {
    const r = await sendRaw(g.port, { from: mailFrom, to: [lee], raw });
    assert.equal(r.code, 250, `${messageId}: kept, so the sender learns nothing (${r.response})`);
    assert.equal(delivered(messageId), 0, `${messageId}: not delivered`);
    const rows = await held(messageId);
    assert.equal(rows.length, 1, `${messageId}: held once`);
    assert.equal(rows[0]!.reason, 'spoofed-system-mail');
    assert.match(rows[0]!.detail, detail, messageId);
    assert.deepEqual(JSON.parse(rows[0]!.recipients), [lee]);
  }

  test('the genuine reminder, signed by the platform and sent to the account itself, is delivered', async () => {
    const mid = id('genuine');
    const r = await sendRaw(g.port, { from: noReply, to: [lee], raw: await reminder(mid) });
    assert.equal(r.code, 250, r.response);
    assert.equal(delivered(mid), 1);
    assert.deepEqual(await held(mid), []);
  });

  test('a genuine reminder replayed with a prepended Subject, Reply-To or From is held', async () => {
    for (const [extra, why] of [
      ['Subject: Urgent: re-validate your account now\r\n', /not signed with the platform's DKIM key/],
      ['Reply-To: helpdesk@evil.example\r\n', /not signed with the platform's DKIM key/],
      ['From : helpdesk@evil.example\r\n', /more than one From/],
    ] as const) {
      const mid = id('replayed');
      await assertHeld(mid, extra + (await reminder(mid)), why, noReply);
    }
  });

  test('mail signed with the platform key but not over-signed (as before) gets no pass for an added Reply-To', async () => {
    const mid = id('old-signature');
    const signed = await signWithoutSeal(g.config, message({ from: `Postwarden <${noReply}>`, to: lee, subject: 'Your password expires in 5 days', id: mid }));
    await assertHeld(mid, `Reply-To: helpdesk@evil.example\r\n${signed}`, /added after the platform signed it/, noReply);
  });

  test('look-alike senders are held: display names, encoded words, subdomains, confusables, other originator fields, "From :"', async () => {
    const encoded = `=?utf-8?B?${Buffer.from(noReply).toString('base64')}?=`;
    const variants: [string, (mid: string) => string, RegExp][] = [
      ['display-name', (mid) => message({ from: `"${noReply}" <helpdesk@evil.example>`, to: lee, id: mid }), /from display name looks like the no-reply address.*not the no-reply address/],
      ['encoded-word', (mid) => message({ from: `${encoded} <helpdesk@evil.example>`, to: lee, id: mid }), /from display name/],
      ['subdomain', (mid) => message({ from: `no-reply@alerts.${PLATFORM}`, to: lee, id: mid }), /from address looks like the no-reply address/],
      ['cyrillic', (mid) => message({ from: `no-reply@pl\u0430tform.example`, to: lee, id: mid }), /from address looks like the no-reply address/],
      ['idna', (mid) => message({ from: 'no-reply@xn--pltform-3fg.example', to: lee, id: mid }), /from address looks like the no-reply address/],
      ['digits', (mid) => message({ from: 'no-rep1y@p1atform.example', to: lee, id: mid }), /from address looks like the no-reply address/],
      ['sender', (mid) => message({ from: 'helpdesk@evil.example', to: lee, id: mid, extra: `Sender: ${noReply}\r\n` }), /sender address/],
      ['reply-to', (mid) => message({ from: 'helpdesk@evil.example', to: lee, id: mid, extra: `Reply-To: ${noReply}\r\n` }), /reply-to address/],
      ['resent-from', (mid) => message({ from: 'helpdesk@evil.example', to: lee, id: mid, extra: `Resent-From: ${noReply}\r\n` }), /resent-from address/],
      ['space-before-colon', (mid) => message({ from: 'x', to: lee, id: mid }).replace('From: x\r\n', `From : ${noReply}\r\n`), /from address looks like the no-reply address.*DKIM/],
    ];
    for (const [what, build, why] of variants) {
      const mid = id(what);
      await assertHeld(mid, build(mid), why);
    }
  });

  test('ordinary mail that names the platform domain is still delivered', async () => {
    const mid = id('ordinary');
    const r = await sendRaw(g.port, { from: 'alex@partner.example', to: [lee], raw: message({ from: `"Alex (partner of ${PLATFORM})" <alex@partner.example>`, to: lee, id: mid }) });
    assert.equal(r.code, 250, r.response);
    assert.equal(delivered(mid), 1);
    assert.deepEqual(await held(mid), []);
  });
});
