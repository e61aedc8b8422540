import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ManualClock } from '../platform/clock.js';
import type { Config } from '../platform/config/config.js';
import { buildApp } from '../platform/http/app.js';
import { PLUGINS } from '../main/plugins.js';
import { createLogger } from '../platform/log/log.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { makeAccount, TEST_PASSWORD } from '../platform/testing/factories.js';
import { TestClient } from '../platform/testing/app.js';
import { ANSWERS, charFor, giveQuestions, recoveryTestConfig, type RecoveryWorld, seedWorld, withoutQuestions } from './recovery.fixtures.js';
import { normaliseAnswer, QUESTIONS } from './recovery.js';

/** Every body and log line of the run, to prove no answer ever appears in one. */
const seen: string[] = [];

/** The challenge labels of a console page, as the agent reads them. */
function challengeOf(body: string): { challengeId: string; items: { question: string; position: number }[] } {
  const items = [...body.matchAll(/The (\d+)(?:st|nd|rd|th) character of (?:the|your) answer to: ([^<]+)</g)].map((m) => ({ position: Number(m[1]), question: m[2]!.trim().replace(/&#39;/g, "'") }));
  return { challengeId: /name="challengeId" value="([^"]+)"/.exec(body)?.[1] ?? '', items };
}

describeEachDatabase('recovery pages', (t) => {
  let app: FastifyInstance;
  let config: Config;
  const clock = new ManualClock(new Date('2026-03-03T10:00:00Z'));
  let w: RecoveryWorld;
  const log = new PassThrough();
  log.on('data', (c: Buffer) => seen.push(c.toString()));

  before(async () => {
    w = await seedWorld(t.handle.db);
    config = recoveryTestConfig();
    app = await buildApp({ config, db: t.handle.db, logger: createLogger('trace', log), clock }, PLUGINS);
    await app.ready();
  });
  after(async () => {
    await app.close();
    const all = seen.join('\n').toLowerCase();
    assert.match(all, /"msg":"request completed"/, 'the log was captured');
    for (const e of ANSWERS) {
      for (const form of [e.answer.toLowerCase(), normaliseAnswer(e.answer)]) assert.ok(!all.includes(form), `an answer (${form.length} chars) appeared in a response or log line`);
    }
  });

  /** A client whose every response body is kept for the answer check. */
  async function client(email: string, password = TEST_PASSWORD): Promise<TestClient> {
    const c = new TestClient(app, clock);
    const get = c.get.bind(c);
    const post = c.post.bind(c);
    c.get = async (url) => { const r = await get(url); seen.push(r.body); return r; };
    c.post = async (url, form, opts) => { const r = await post(url, form, opts); seen.push(r.body); return r; };
    if (email) assert.equal((await c.signIn(email, password)).status, 303, `sign-in of ${email}`);
    return c;
  }

  test('a user sets questions (rules explained, answers never echoed); the helpdesk verifies and resets; the user must change the password', async () => {
    const { db } = t.handle;
    const u = await makeAccount(db, { organisationId: w.org.id, displayName: 'Quinn User' });
    await withoutQuestions(db, u.id);
    const me = await client(u.email);
    const form = (answers: string[], password = TEST_PASSWORD): Record<string, string> => ({
      question1: ANSWERS[0]!.question, answer1: answers[0]!, question2: ANSWERS[1]!.question, answer2: answers[1]!, question3: ANSWERS[2]!.question, answer3: answers[2]!, currentPassword: password,
    });
    const bad = await me.post('/security/questions', form([ANSWERS[0]!.answer, 'aaa bbb', ANSWERS[0]!.answer]), { csrfFrom: '/security/questions' });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /must not repeat a character 3 times in a row/);
    assert.match(bad.body, /same as the answer to question 1/);
    assert.match(bad.body, new RegExp(`<option value="${QUESTIONS[3]!.replace(/[?]/g, '\\?')}" selected`), 'the chosen questions are kept');
    const wrongPassword = await me.post('/security/questions', form(ANSWERS.map((a) => a.answer), 'not-my-password'), { csrfFrom: '/security/questions' });
    assert.equal(wrongPassword.status, 400);
    assert.match(wrongPassword.body, /current password is not correct/);
    const ok = await me.post('/security/questions', form(ANSWERS.map((a) => a.answer)), { csrfFrom: '/security/questions' });
    assert.equal(ok.status, 303);
    assert.match((await me.get('/security/questions')).body, /What was the make of your first car\?/);

    const agent = await client(w.agent.email);
    const found = await agent.get(`/recovery?q=${encodeURIComponent(u.email.slice(0, 8))}`);
    assert.match(found.body, new RegExp(`/recovery/accounts/${u.id}`));
    const page = `/recovery/accounts/${u.id}`;
    assert.match((await agent.get(page)).body, /Start verification/);
    assert.equal((await agent.post(`${page}/start`, {}, { csrfFrom: page })).status, 303);
    const first = challengeOf((await agent.get(page)).body);
    assert.equal(first.items.length, 2);
    assert.deepEqual(challengeOf((await agent.get(page)).body), first, 'reloading does not re-roll');
    assert.equal((await agent.post(`${page}/start`, {}, { csrfFrom: page })).status, 303);
    assert.deepEqual(challengeOf((await agent.get(page)).body), first, 'starting again does not re-roll');
    const answered = await agent.post(`${page}/answer`, { challengeId: first.challengeId, char1: charFor(first.items[0]!).toUpperCase(), char2: ` ${charFor(first.items[1]!)} ` }, { csrfFrom: page });
    assert.equal(answered.status, 303);
    const vUrl = String(answered.headers.location);
    assert.match(vUrl, /^\/recovery\/verifications\/[0-9a-f-]{36}$/);
    const vPage = await agent.get(vUrl);
    assert.match(vPage.body, /Verification passed/);
    const noTicket = await agent.post(`${vUrl}/reset`, { ticket: '', delivery: 'shown' }, { csrfFrom: vUrl });
    assert.equal(noTicket.status, 400);
    assert.match(noTicket.body, /Enter the ticket reference/);
    const done = await agent.post(`${vUrl}/reset`, { ticket: 'INC-1001', delivery: 'shown' }, { csrfFrom: vUrl });
    assert.equal(done.status, 200);
    assert.equal(done.headers['cache-control'], 'no-store');
    const temporary = /id="temporary-password">([^<]+)</.exec(done.body)![1]!;
    const again = await agent.post(`${vUrl}/reset`, { ticket: 'INC-1001', delivery: 'shown' }, { csrfFrom: page });
    assert.equal(again.status, 409, 'a verification resets once');
    assert.match(again.body, /already been used/);

    assert.equal((await me.get('/')).status, 303, 'the user was signed out everywhere');
    const back = new TestClient(app, clock);
    const r = await back.signIn(u.email, temporary);
    assert.equal(r.location, '/password/change', 'must change the temporary password');
    assert.equal((await back.get('/')).headers.location, '/password/change');
  });

  test('without security questions every page leads to them after sign-in; postponing lasts one sign-in', async () => {
    const { db } = t.handle;
    const u = await makeAccount(db, { organisationId: w.org.id });
    await withoutQuestions(db, u.id);
    const c = await client(u.email);
    const first = await c.get(`/accounts/${u.id}`);
    assert.equal(first.status, 303);
    const prompt = String(first.headers.location);
    assert.equal(prompt, `/security/questions?prompt=1&next=${encodeURIComponent(`/accounts/${u.id}`)}`);
    assert.match((await c.get(prompt)).body, /Remind me at my next sign-in/);
    const later = await c.post(`/security/questions/later?next=${encodeURIComponent(`/accounts/${u.id}`)}`, {}, { csrfFrom: prompt });
    assert.equal(later.headers.location, `/accounts/${u.id}`);
    assert.equal((await c.get('/')).status, 200, 'postponed for this sign-in');
    const c2 = await client(u.email);
    assert.equal((await c2.get('/')).headers.location, '/security/questions?prompt=1&next=%2F', 'back at the next sign-in');
    const form = { question1: ANSWERS[0]!.question, answer1: ANSWERS[0]!.answer, question2: ANSWERS[1]!.question, answer2: ANSWERS[1]!.answer, question3: ANSWERS[2]!.question, answer3: ANSWERS[2]!.answer, currentPassword: TEST_PASSWORD };
    const set = await c2.post('/security/questions?next=%2F', form, { csrfFrom: '/security/questions?prompt=1&next=%2F' });
    assert.equal(set.headers.location, '/');
    assert.equal((await c2.get('/')).status, 200);
    assert.equal((await (await client(u.email)).get('/')).status, 200, 'no prompt once they are set');
    const admin = await makeAccount(db, { organisationId: w.org.id, roles: ['user', 'local-admin'] });
    await withoutQuestions(db, admin.id);
    assert.equal((await (await client(admin.email)).get('/')).headers.location, '/security/questions?prompt=1&next=%2F', 'after the second factor too');
  });

  test('no reset without a passed verification by URL; referral scripts; LA scope on every page', async () => {
    const { db } = t.handle;
    const u = await makeAccount(db, { organisationId: w.org.id });
    await giveQuestions(db, u.id);
    const agent = await client(w.agent.email);
    const fake = '0190a0a0-0000-7000-8000-000000000000';
    const forged = await agent.post(`/recovery/verifications/${fake}/reset`, { ticket: 'X', delivery: 'shown' }, { csrfFrom: '/recovery' });
    assert.equal(forged.status, 404);
    const page = `/recovery/accounts/${u.id}`;
    await agent.post(`${page}/start`, {}, { csrfFrom: page });
    const c = challengeOf((await agent.get(page)).body);
    const failed = await agent.post(`${page}/answer`, { challengeId: c.challengeId, char1: charFor(c.items[0]!, ANSWERS, true), char2: charFor(c.items[1]!) }, { csrfFrom: page });
    assert.equal(failed.headers.location, `${page}?result=failed&left=2`);
    assert.match((await agent.get(String(failed.headers.location))).body, /The characters did not match/);
    const vid = (await db.selectFrom('recovery_verifications').select('id').where('account_id', '=', u.id).executeTakeFirstOrThrow()).id;
    const withFailed = await agent.post(`/recovery/verifications/${vid}/reset`, { ticket: 'X', delivery: 'shown' }, { csrfFrom: '/recovery' });
    assert.equal(withFailed.status, 409);
    const other = await client(w.agent2.email);
    assert.equal((await other.post(`/recovery/verifications/${vid}/reset`, { ticket: 'X', delivery: 'shown' }, { csrfFrom: '/recovery' })).status, 404, "another agent's");
    assert.equal((await db.selectFrom('password_resets').select('id').where('account_id', '=', u.id).execute()).length, 0);

    const nonUk = await makeAccount(db, { organisationId: w.org.id });
    await giveQuestions(db, nonUk.id);
    await db.updateTable('accounts').set({ status: 'disabled', status_reason: 'non-uk-mobile' }).where('id', '=', nonUk.id).execute();
    const referral = await agent.get(`/recovery/accounts/${nonUk.id}`);
    assert.match(referral.body, /refer the caller to their Local Administrator/);
    assert.match(referral.body, new RegExp(`la@${w.org.domain.replace(/\./g, '\\.')}`), 'the LA contact of the organisation');
    assert.match(referral.body, /Lena Admin/);
    assert.doesNotMatch(referral.body, /Start verification/);
    assert.equal((await agent.post(`/recovery/accounts/${nonUk.id}/start`, {}, { csrfFrom: '/recovery' })).status, 409, 'refused, not only hidden');
    await db.updateTable('accounts').set({ status: 'active', status_reason: null, compromised_at: clock.now().toISOString() }).where('id', '=', nonUk.id).execute();
    assert.match((await agent.get(`/recovery/accounts/${nonUk.id}`)).body, /follow the compromise case/);

    const otherLa = await client(w.otherLa.email);
    for (const url of [page, `/recovery/review?org=${w.org.id}`, `/recovery/review.csv?org=${w.org.id}`]) assert.equal((await otherLa.get(url)).status, 404, url);
    assert.equal((await otherLa.post(`${page}/start`, {}, { csrfFrom: '/recovery' })).status, 404);
    const plainAccount = await makeAccount(db, { organisationId: w.org.id });
    await giveQuestions(db, plainAccount.id);
    const plain = await client(plainAccount.email);
    assert.equal((await plain.get('/recovery')).status, 403);
  });

  test('self-service: the same pages whether or not the account exists; the LA reviews the reset', async () => {
    const { db } = t.handle;
    const mobile = '+447912345678';
    const u = await makeAccount(db, { organisationId: w.org.id, mobile });
    await giveQuestions(db, u.id);
    const anon = await client('');
    assert.match((await anon.get('/signin')).body, /href="\/password\/forgotten"/);
    const steps = async (email: string, last4: string, right: boolean): Promise<string> => {
      const one = await anon.post('/password/forgotten', { email, mobileLast4: last4 }, { csrfFrom: '/password/forgotten' });
      assert.equal(one.status, 200);
      const c = challengeOf(one.body);
      assert.equal(c.items.length, 2);
      const flow = /name="flow" value="([^"]+)"/.exec(one.body)![1]!;
      const chars = c.items.map((i) => (right ? charFor({ question: i.question, position: i.position }) : 'q'));
      const two = await anon.post('/password/forgotten/answer', { flow, char1: chars[0]!, char2: chars[1]!, code: '' }, { csrfFrom: '/password/forgotten' });
      assert.equal(two.status, 200);
      return two.body.replace(/name="_csrf" value="[^"]+"/g, '');
    };
    const ghost = await steps('no-such-person@example.test', '1234', false);
    const wrong = await steps(u.email, '5678', false);
    const real = await steps(u.email, '5678', true);
    assert.equal(wrong, ghost, 'identical whether or not the account exists');
    assert.equal(real, ghost, 'identical whether or not it worked');
    const reset = await db.selectFrom('password_resets').selectAll().where('account_id', '=', u.id).executeTakeFirstOrThrow();
    assert.equal(reset.channel, 'self-service');
    const sms = await db.selectFrom('notifications').select(['template', 'recipient']).where('account_id', '=', u.id).where('channel', '=', 'sms').execute();
    assert.deepEqual(sms, [{ template: 'recovery/temporary-password', recipient: mobile }]);

    const la = await client(w.la.email);
    const review = await la.get(`/recovery/review?org=${w.org.id}&from=2026-03-01&to=2026-03-31`);
    assert.equal(review.status, 200);
    assert.match(review.body, new RegExp(u.email.replace(/\./g, '\\.')));
    assert.match(review.body, /Self-service/);
    assert.match(review.body, /INC-1001/, 'the helpdesk reset of the first test, with its ticket');
    const csv = await la.get(`/recovery/review.csv?org=${w.org.id}&from=2026-03-01&to=2026-03-31`);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    assert.match(csv.body, /^when,account_email,account_name,channel,agent_email/);
    assert.match(csv.body, /self-service/);
    const rec = await la.post('/recovery/review', { org: w.org.id, from: '2026-03-01', to: '2026-03-31', notes: 'All resets had tickets.' }, { csrfFrom: `/recovery/review?org=${w.org.id}` });
    assert.equal(rec.status, 303);
    assert.match((await la.get(String(rec.headers.location))).body, /All resets had tickets\./);
  });

  test('the API: the same flow with a token, and no reset without a verification', async () => {
    const { db } = t.handle;
    const { createApiToken } = await import('../signin/tokens.commands.js');
    const { cliContext } = await import('../platform/context.js');
    const token = (await createApiToken(db, cliContext(clock.now()), { email: w.agent.email, name: 'helpdesk tool' })).token;
    const laToken = (await createApiToken(db, cliContext(clock.now()), { email: w.otherLa.email, name: 'la tool' })).token;
    const api = async (method: 'GET' | 'POST', url: string, body?: object, tok = token): Promise<{ status: number; json: Record<string, unknown> }> => {
      const r = await app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${tok}` }, ...(body ? { payload: body } : {}) });
      seen.push(r.body);
      return { status: r.statusCode, json: r.json() as Record<string, unknown> };
    };
    const u = await makeAccount(db, { organisationId: w.org.id });
    await giveQuestions(db, u.id);
    assert.equal((await api('POST', '/recovery/verifications/0190a0a0-0000-7000-8000-000000000000/reset', { ticket: 'X', delivery: 'shown' })).status, 404);
    const start = await api('POST', `/recovery/accounts/${u.id}/verification`);
    assert.equal(start.status, 200);
    const items = start.json.items as { question: string; position: number }[];
    const bad = await api('POST', `/recovery/accounts/${u.id}/verification/answer`, { challengeId: start.json.challengeId, characters: items.map((i, n) => charFor(i, ANSWERS, n === 0)) });
    assert.equal(bad.json.passed, false);
    assert.equal((await api('POST', `/recovery/verifications/${bad.json.verificationId as string}/reset`, { ticket: 'X', delivery: 'shown' })).status, 409);
    const again = await api('POST', `/recovery/accounts/${u.id}/verification`);
    const good = await api('POST', `/recovery/accounts/${u.id}/verification/answer`, { challengeId: again.json.challengeId, characters: (again.json.items as { question: string; position: number }[]).map((i) => charFor(i)) });
    assert.equal(good.json.passed, true);
    const done = await api('POST', `/recovery/verifications/${good.json.verificationId as string}/reset`, { ticket: 'API-1', delivery: 'shown' });
    assert.equal(done.status, 200);
    assert.equal(typeof done.json.temporaryPassword, 'string');
    assert.equal((await api('POST', `/recovery/verifications/${good.json.verificationId as string}/reset`, { ticket: 'API-1', delivery: 'shown' })).status, 409);
    assert.equal((await api('GET', `/recovery/resets?organisationId=${w.org.id}`, undefined, laToken)).status, 404, "another organisation's resets");
    assert.equal((await api('POST', `/recovery/accounts/${u.id}/verification`, undefined, laToken)).status, 404);
  });
});
