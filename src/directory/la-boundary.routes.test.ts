import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { totpCode } from '../mfa/mfa.js';
import { ManualClock } from '../platform/clock.js';
import type { Config } from '../platform/config/config.js';
import { cliContext } from '../platform/context.js';
import { decryptSecret, deriveKey } from '../platform/crypto/secrets.js';
import type { Db } from '../platform/db/db.js';
import { buildApp } from '../platform/http/app.js';
import { PLUGINS } from '../main/plugins.js';
import { createLogger } from '../platform/log/log.js';
import { TEST_SECRET_KEY, TestClient } from '../platform/testing/app.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation } from '../platform/testing/factories.js';
import { ANSWERS, charFor, giveQuestions, recoveryTestConfig, ukMobile } from '../recovery/recovery.fixtures.js';
import { createApiToken } from '../signin/tokens.commands.js';

/**
 * The boundary the security test found broken: a Local Administrator manages ordinary
 * accounts of their organisation only. A privileged colleague, or a platform admin whose
 * home organisation is theirs, cannot be edited, re-numbered, signed out or verified for a
 * reset by them; the helpdesk reaches LAs but never platform admins; verification takes
 * the strongest factor; a number set by someone else is no second factor for a week.
 */

const notifyKey = deriveKey(Buffer.from(TEST_SECRET_KEY, 'hex'), 'notifications');

async function outboxFor(db: Db, accountId: string): Promise<{ channel: string; template: string; recipient: string; data: Record<string, unknown> }[]> {
  const rows = await db.selectFrom('notifications').select(['channel', 'template', 'recipient', 'payload_enc', 'id']).where('account_id', '=', accountId).orderBy('id').execute();
  return rows.map((r) => ({ channel: r.channel, template: r.template, recipient: r.recipient, data: JSON.parse(decryptSecret(notifyKey, r.payload_enc ?? "")) as Record<string, unknown> }));
}

/** The challenge of a console page, as the agent reads it. */
function challengeOf(body: string): { challengeId: string; items: { question: string; position: number }[] } {
  const items = [...body.matchAll(/The (\d+)(?:st|nd|rd|th) character of (?:the|your) answer to: ([^<]+)</g)].map((m) => ({ position: Number(m[1]), question: m[2]!.trim().replace(/&#39;/g, "'") }));
  return { challengeId: /name="challengeId" value="([^"]+)"/.exec(body)?.[1] ?? '', items };
}

describeEachDatabase('LAs manage ordinary accounts only; verification takes the strongest factor', (t) => {
  let app: FastifyInstance;
  let config: Config;
  const clock = new ManualClock(new Date('2026-06-01T09:00:00Z'));

  before(async () => {
    config = recoveryTestConfig();
    app = await buildApp({ config, db: t.handle.db, logger: createLogger('silent'), clock }, PLUGINS);
    await app.ready();
  });
  after(async () => app.close());

  async function client(email: string): Promise<TestClient> {
    const c = new TestClient(app, clock);
    assert.equal((await c.signIn(email, 'correct-battery-horse-99')).status, 303, `sign-in of ${email}`);
    return c;
  }

  /** A fresh organisation with an LA, a privileged colleague, a platform admin homed in it, an ordinary user and a helpdesk agent. */
  async function world(): Promise<Record<'la' | 'colleague' | 'homedAdmin' | 'user' | 'agent' | 'admin', Awaited<ReturnType<typeof makeAccount>>> & { orgId: string }> {
    const { db } = t.handle;
    const org = await makeOrganisation(db);
    const platform = await makeOrganisation(db);
    const mk = async (organisationId: string, roles: Parameters<typeof makeAccount>[1]['roles'], extra: Partial<Parameters<typeof makeAccount>[1]> = {}) => {
      const a = await makeAccount(db, { organisationId, roles, mobile: ukMobile(), ...extra });
      await giveQuestions(db, a.id);
      return a;
    };
    return {
      orgId: org.id,
      la: await mk(org.id, ['user', 'local-admin']),
      colleague: await mk(org.id, ['user', 'local-admin']),
      homedAdmin: await mk(org.id, ['user', 'platform-admin']),
      user: await mk(org.id, ['user'], { totp: false }),
      agent: await mk(platform.id, ['user', 'helpdesk']),
      admin: await mk(platform.id, ['user', 'platform-admin']),
    };
  }

  test('an LA cannot change a privileged account (page, API) or sign it out; an ordinary account they can, and its holder is told', async () => {
    const { db } = t.handle;
    const w = await world();
    const la = await client(w.la.email);
    for (const target of [w.colleague, w.homedAdmin]) {
      const before = await db.selectFrom('accounts').select(['mobile', 'display_name']).where('id', '=', target.id).executeTakeFirstOrThrow();
      const page = await la.get(`/accounts/${target.id}`);
      assert.equal(page.status, 200, 'privileged colleagues stay visible, read-only');
      assert.ok(!page.body.includes(`/accounts/${target.id}/edit`), 'no Change link');
      assert.equal((await la.get(`/accounts/${target.id}/edit`)).status, 404);
      const edit = await la.post(`/accounts/${target.id}/edit`, { displayName: 'Taken Over', businessArea: 'Clinical', mobile: ukMobile() }, { csrfFrom: `/accounts/${w.user.id}/edit` });
      assert.equal(edit.status, 403);
      assert.match(edit.body, /only a platform administrator can change it/);
      const revoke = await la.post(`/accounts/${target.id}/sessions/revoke`, {}, { csrfFrom: `/accounts/${w.user.id}/edit` });
      assert.equal(revoke.status, 403);
      const afterwards = await db.selectFrom('accounts').select(['mobile', 'display_name']).where('id', '=', target.id).executeTakeFirstOrThrow();
      assert.deepEqual(afterwards, before, 'nothing changed');
      assert.deepEqual(await outboxFor(db, target.id), [], 'nothing was sent');
    }
    const token = (await createApiToken(db, cliContext(clock.now()), { email: w.la.email, name: 'test' })).token;
    const api = await app.inject({ method: 'PUT', url: `/api/v1/accounts/${w.homedAdmin.id}/mobile`, headers: { authorization: `Bearer ${token}` }, payload: { mobile: ukMobile() } });
    assert.equal(api.statusCode, 403);
    assert.equal(api.json().error, 'forbidden');

    const oldNumber = (await db.selectFrom('accounts').select('mobile').where('id', '=', w.user.id).executeTakeFirstOrThrow()).mobile!;
    const next = ukMobile();
    const ok = await la.post(`/accounts/${w.user.id}/edit`, { displayName: 'Ordinary User', businessArea: 'Clinical', mobile: next }, { csrfFrom: `/accounts/${w.user.id}/edit` });
    assert.equal(ok.status, 303);
    const row = await db.selectFrom('accounts').select(['mobile', 'mobile_changed_at', 'mobile_change_verified']).where('id', '=', w.user.id).executeTakeFirstOrThrow();
    assert.deepEqual({ ...row, mobile_change_verified: Number(row.mobile_change_verified) }, { mobile: next, mobile_changed_at: clock.now().toISOString(), mobile_change_verified: 0 });
    const sent = await outboxFor(db, w.user.id);
    assert.deepEqual(sent.map((n) => [n.channel, n.template, n.recipient]).sort(), [['email', 'phones/mobile-changed', w.user.email], ['sms', 'phones/mobile-changed', oldNumber]]);
    assert.equal(sent.find((n) => n.channel === 'email')!.data.changedBy, `${w.la.email} (Local Administrator)`);
    assert.equal(sent.find((n) => n.channel === 'sms')!.data.lastDigits, next.slice(-3));
  });

  test('the console: an LA cannot verify a privileged colleague, the helpdesk verifies LAs but not platform admins, a platform admin verifies staff', async () => {
    const w = await world();
    const la = await client(w.la.email);
    const colleague = await la.get(`/recovery/accounts/${w.colleague.id}`);
    assert.equal(colleague.status, 403);
    assert.match(colleague.body, /only be verified and reset by a platform administrator/);
    assert.equal((await la.get(`/recovery/accounts/${w.homedAdmin.id}`)).status, 403);
    assert.equal((await la.post(`/recovery/accounts/${w.homedAdmin.id}/start`, {}, { csrfFrom: `/recovery/accounts/${w.user.id}` })).status, 403);
    assert.equal((await la.get(`/recovery/accounts/${w.user.id}`)).status, 200, 'an ordinary account of their organisation');

    const agent = await client(w.agent.email);
    assert.equal((await agent.get(`/recovery/accounts/${w.colleague.id}`)).status, 200, 'the helpdesk may verify an LA');
    assert.equal((await agent.get(`/recovery/accounts/${w.homedAdmin.id}`)).status, 403, 'never a platform admin');
    assert.equal((await agent.get(`/recovery/accounts/${w.admin.id}`)).status, 403);

    assert.ok(!(await la.get(`/accounts/${w.colleague.id}`)).body.includes('id="verify-and-reset"'), 'no console link for the LA');
    assert.ok((await la.get(`/accounts/${w.user.id}`)).body.includes('id="verify-and-reset"'), 'an ordinary account has one');
    const admin = await client(w.admin.email);
    assert.ok((await admin.get(`/accounts/${w.homedAdmin.id}`)).body.includes(`href="/recovery/accounts/${w.homedAdmin.id}" id="verify-and-reset"`), 'platform admins reach the console from the account page');
    assert.equal((await admin.get(`/recovery/accounts/${w.agent.id}`)).status, 200, 'helpdesk accounts go to platform admins');
    assert.equal((await admin.get(`/recovery/accounts/${w.homedAdmin.id}`)).status, 200);
  });

  test('an account with an authenticator app must prove the app: a text message is refused', async () => {
    const { db } = t.handle;
    const w = await world();
    const agent = await client(w.agent.email);
    const page = `/recovery/accounts/${w.colleague.id}`;
    assert.match((await agent.get(page)).body, /Required: a code from their authenticator app\s*</);
    assert.equal((await agent.post(`${page}/start`, {}, { csrfFrom: page })).status, 303);
    const c = challengeOf((await agent.get(page)).body);
    const answered = await agent.post(`${page}/answer`, { challengeId: c.challengeId, char1: charFor(c.items[0]!, ANSWERS), char2: charFor(c.items[1]!, ANSWERS) }, { csrfFrom: page });
    const vUrl = String(answered.headers.location);
    assert.match(vUrl, /^\/recovery\/verifications\//);
    assert.ok(!(await agent.get(vUrl)).body.includes('id="send-sms"'), 'no SMS offered');
    const sms = await agent.post(`${vUrl}/sms`, {}, { csrfFrom: vUrl });
    assert.equal(sms.status, 409);
    assert.match(sms.body, /must pass its authenticator app/);
    const bySms = await agent.post(`${vUrl}/second-factor`, { kind: 'sms', code: '123456' }, { csrfFrom: vUrl });
    assert.equal(bySms.status, 409);
    assert.deepEqual(await outboxFor(db, w.colleague.id), [], 'no code was ever sent');
    clock.advance(30_000);
    const app2 = await agent.post(`${vUrl}/second-factor`, { kind: 'totp', code: totpCode(w.colleague.totpSecret!, clock.now()) }, { csrfFrom: vUrl });
    assert.equal(app2.headers.location, vUrl, 'the app passes');
  });

  test('a mobile an LA set is no second factor for 7 days: the console says why and until when, then accepts it', async () => {
    const { db } = t.handle;
    const w = await world();
    const la = await client(w.la.email);
    assert.equal((await la.post(`/accounts/${w.user.id}/edit`, { displayName: 'Ordinary User', businessArea: 'Clinical', mobile: ukMobile() }, { csrfFrom: `/accounts/${w.user.id}/edit` })).status, 303);
    const changedAt = clock.now();
    const agent = await client(w.agent.email);
    const page = `/recovery/accounts/${w.user.id}`;
    const refused = await agent.get(page);
    assert.match(refused.body, /added or changed recently by someone other than the account holder/);
    const until = new Date(changedAt.getTime() + 7 * 86_400_000).toISOString();
    assert.match(refused.body, new RegExp(`second check from ${until.slice(0, 10)} ${until.slice(11, 16)} UTC`));
    const start = await agent.post(`${page}/start`, {}, { csrfFrom: page });
    assert.equal(start.status, 409, 'verification cannot start');

    clock.set(new Date(changedAt.getTime() + 7 * 86_400_000 - 60_000));
    const agentLater = await client(w.agent.email); // signing in with the app moves the clock 30 s on
    assert.ok(clock.now().getTime() < changedAt.getTime() + 7 * 86_400_000);
    assert.equal((await agentLater.post(`${page}/start`, {}, { csrfFrom: page })).status, 409, 'just before the week is up');
    clock.set(new Date(changedAt.getTime() + 7 * 86_400_000));
    const agentNow = await client(w.agent.email);
    assert.equal((await agentNow.post(`${page}/start`, {}, { csrfFrom: page })).status, 303);
    const c = challengeOf((await agentNow.get(page)).body);
    const answered = await agentNow.post(`${page}/answer`, { challengeId: c.challengeId, char1: charFor(c.items[0]!, ANSWERS), char2: charFor(c.items[1]!, ANSWERS) }, { csrfFrom: page });
    const vUrl = String(answered.headers.location);
    assert.equal((await agentNow.post(`${vUrl}/sms`, {}, { csrfFrom: vUrl })).status, 303, 'the number now serves');
    assert.equal((await outboxFor(db, w.user.id)).filter((n) => n.template === 'recovery/verify-code').length, 1);
  });

  test('a temporary password is never texted to a number someone else set this week', async () => {
    const w = await world();
    const agent = await client(w.agent.email);
    const adminPage = `/accounts/${w.colleague.id}/edit`;
    const admin = await client(w.admin.email);
    assert.equal((await admin.post(adminPage, { displayName: 'LA Colleague', businessArea: 'Clinical', mobile: ukMobile() }, { csrfFrom: adminPage })).status, 303, 'a platform admin may change an LA');
    const page = `/recovery/accounts/${w.colleague.id}`;
    await agent.post(`${page}/start`, {}, { csrfFrom: page });
    const c = challengeOf((await agent.get(page)).body);
    const vUrl = String((await agent.post(`${page}/answer`, { challengeId: c.challengeId, char1: charFor(c.items[0]!, ANSWERS), char2: charFor(c.items[1]!, ANSWERS) }, { csrfFrom: page })).headers.location);
    clock.advance(30_000);
    await agent.post(`${vUrl}/second-factor`, { kind: 'totp', code: totpCode(w.colleague.totpSecret!, clock.now()) }, { csrfFrom: vUrl });
    const bySms = await agent.post(`${vUrl}/reset`, { ticket: 'INC-7', delivery: 'sms' }, { csrfFrom: vUrl });
    assert.equal(bySms.status, 400);
    assert.match(bySms.body, /changed recently by someone else/);
    const shown = await agent.post(`${vUrl}/reset`, { ticket: 'INC-7', delivery: 'shown' }, { csrfFrom: vUrl });
    assert.equal(shown.status, 200, 'shown once instead');
    const reset = (await outboxFor(t.handle.db, w.colleague.id)).find((n) => n.template === 'recovery/password-reset')!;
    assert.equal(reset.recipient, w.colleague.email);
    assert.match(String(reset.data.by), new RegExp(w.agent.email.replace(/[.]/g, '\\.')), 'the account is told who reset it');
  });
});
