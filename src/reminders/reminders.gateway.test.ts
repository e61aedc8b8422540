import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, test } from 'node:test';
import { dkimSign } from 'mailauth';
import { listQuarantine } from '../gateway/gateway.repo.js';
import { PLATFORM, sendRaw, startTestGateway, type TestGateway } from '../gateway/gateway.testing.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation } from '../platform/testing/factories.js';
import { buildReminderMessage } from './reminders.message.js';

/**
 * Issue 8's evidence for the gateway's spoof rule: a genuine password-expiry reminder
 * (the real template, signed with the platform key, to the account's own address) is
 * delivered; three imitations of it are quarantined and reach no mailbox.
 */

describeEachDatabase('the gateway accepts exactly the genuine reminder', (ctx) => {
  const getDb = () => ctx.handle.db;
  let g: TestGateway;
  let lee: string;
  let sam: string;
  const now = new Date(Date.now() - 60_000); // python3-dkim and mailauth refuse signatures from the future
  const expiresAt = new Date(now.getTime() + 5 * 86_400_000);

  before(async () => {
    const db = getDb();
    const org = await makeOrganisation(db);
    lee = (await makeAccount(db, { organisationId: org.id, email: `lee@${org.domain}` })).email;
    sam = (await makeAccount(db, { organisationId: org.id, email: `sam@${org.domain}` })).email;
    g = await startTestGateway(db);
  });
  after(async () => {
    await g?.close();
  });

  const held = async (messageId: string): Promise<boolean> =>
    (await listQuarantine(getDb(), { limit: 100 })).some((q) => q.message_id === messageId || q.message_id === `<${messageId}>`);
  const delivered = (address: string, messageId: string): boolean => g.maildir(address).some((m) => m.includes(messageId));

  test('genuine: signed with the platform key, to the account itself → delivered, not held', async () => {
    const r = await buildReminderMessage(g.config, { to: lee, expiresAt, now, messageId: `genuine-${Date.now()}@${PLATFORM}` });
    const sent = await sendRaw(g.port, { from: `no-reply@${PLATFORM}`, to: [lee], raw: r.raw });
    assert.equal(sent.code, 250, sent.response);
    assert.ok(delivered(lee, r.messageId.replace(/[<>]/g, '')), 'the reminder is in the Maildir');
    assert.equal(await held(r.messageId.replace(/[<>]/g, '')), false);
  });

  test('imitation 1: the same reminder without the platform signature → held', async () => {
    const r = await buildReminderMessage(g.config, { to: lee, expiresAt, now, messageId: `unsigned-${Date.now()}@${PLATFORM}` });
    const unsigned = r.raw.toString('utf8').replace(/^DKIM-Signature:[^\r\n]*(\r?\n[ \t][^\r\n]*)*\r?\n/im, '');
    assert.doesNotMatch(unsigned, /^DKIM-Signature:/im);
    const id = r.messageId.replace(/[<>]/g, '');
    const sent = await sendRaw(g.port, { from: `no-reply@${PLATFORM}`, to: [lee], raw: unsigned });
    assert.equal(sent.code, 250, 'accepted into quarantine (kept, not lost)');
    assert.equal(delivered(lee, id), false);
    assert.ok(await held(id));
  });

  test('imitation 2: a genuine reminder for one account sent to another → held', async () => {
    const r = await buildReminderMessage(g.config, { to: lee, expiresAt, now, messageId: `redirected-${Date.now()}@${PLATFORM}` });
    const id = r.messageId.replace(/[<>]/g, '');
    const sent = await sendRaw(g.port, { from: `no-reply@${PLATFORM}`, to: [sam], raw: r.raw });
    assert.equal(sent.code, 250);
    assert.equal(delivered(sam, id), false, 'not in the other account\'s mailbox');
    assert.ok(await held(id));
  });

  test('imitation 3: signed for the platform domain with an attacker\'s key → held', async () => {
    const r = await buildReminderMessage(g.config, { to: lee, expiresAt, now, messageId: `forged-${Date.now()}@${PLATFORM}` });
    const id = r.messageId.replace(/[<>]/g, '');
    const stripped = r.raw.toString('utf8').replace(/^DKIM-Signature:[^\r\n]*(\r?\n[ \t][^\r\n]*)*\r?\n/im, '');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const opts = { signatureData: [{ signingDomain: PLATFORM, selector: g.config.dkimSelector, privateKey: pem }] };
    const signed = await dkimSign(stripped, opts as unknown as Parameters<typeof dkimSign>[1]);
    const sent = await sendRaw(g.port, { from: `no-reply@${PLATFORM}`, to: [lee], raw: signed.signatures + stripped });
    assert.equal(sent.code, 250);
    assert.equal(delivered(lee, id), false);
    assert.ok(await held(id));
  });
});
