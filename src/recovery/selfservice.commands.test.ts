import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { totpCode } from '../mfa/mfa.js';
import { ManualClock } from '../platform/clock.js';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { DomainError } from '../platform/errors/errors.js';
import { deliverDueNotifications } from '../platform/notify/runner.js';
import { listLocalSms } from '../platform/notify/sms.local.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { actorCtx, makeAccount, testCtx } from '../platform/testing/factories.js';
import { verifyPassword } from '../signin/password.js';
import { answerChallenge, startVerification } from './console.commands.js';
import { normaliseAnswer } from './recovery.js';
import { ANSWERS, charFor, giveQuestions, recoveryTestConfig, type RecoveryWorld, seedWorld, ukMobile } from './recovery.fixtures.js';
import { loadVerifyThrottle } from './recovery.repo.js';
import { resetPassword } from './reset.commands.js';
import { lastReviewFor, recordReview, resetReview, reviewNagFor } from './review.commands.js';
import { finishSelfService, startSelfService } from './selfservice.commands.js';

describeEachDatabase('self-service reset and the reset review (commands)', (t) => {
  const clock = new ManualClock(new Date('2026-03-03T10:00:00Z'));
  const config = recoveryTestConfig();
  let w: RecoveryWorld;
  let db: Db;
  const anon = (): Ctx => testCtx(null, clock.now());

  before(async () => {
    db = t.handle.db;
    w = await seedWorld(db);
  });

  async function ctxOf(id: string): Promise<Ctx> {
    return actorCtx(db, id, clock.now());
  }

  async function person(opts: { totp?: boolean; compromised?: boolean; businessArea?: string } = {}): Promise<{ id: string; email: string; mobile: string; totpSecret: string | null }> {
    const mobile = ukMobile();
    const u = await makeAccount(db, { organisationId: w.org.id, mobile, totp: opts.totp ?? false, businessArea: opts.businessArea });
    await giveQuestions(db, u.id);
    if (opts.compromised) await db.updateTable('accounts').set({ compromised_at: clock.now().toISOString() }).where('id', '=', u.id).execute();
    return { ...u, mobile };
  }

  /** The characters for a challenge (the right ones, or with the first wrong); 'a' for a made-up question. */
  const chars = (c: { items: { question: string; position: number }[] }, wrongFirst = false): string[] =>
    c.items.map((it, n) => {
      const e = ANSWERS.find((a) => a.question === it.question);
      // A made-up challenge may ask for a position beyond the real answer's length.
      return e && it.position < normaliseAnswer(e.answer).length ? charFor({ question: it.question, position: it.position + 1 }, ANSWERS, wrongFirst && n === 0) : 'a';
    });

  const smsTo = async (mobile: string): Promise<string[]> => {
    await deliverDueNotifications({ db, config, clock });
    return (await listLocalSms(config)).filter((s) => s.to === mobile).map((s) => s.body);
  };

  test('email + last 4 digits + the characters → a temporary password by SMS, which signs in', async () => {
    const u = await person();
    const c = await startSelfService(db, anon(), config, { email: u.email.toUpperCase(), mobileLast4: u.mobile.slice(-4) });
    assert.deepEqual(c.items.map((i) => i.question).every((q) => ANSWERS.some((a) => a.question === q)), true, 'the real questions');
    await finishSelfService(db, anon(), config, { flow: c.flow, characters: chars(c), code: '' });
    const bodies = await smsTo(u.mobile);
    const password = /temporary password is (\S+)/.exec(bodies.at(-1) ?? '')?.[1];
    const row = await db.selectFrom('accounts').selectAll().where('id', '=', u.id).executeTakeFirstOrThrow();
    assert.ok(password && (await verifyPassword(row.password_hash!, password)));
    assert.equal(Number(row.must_change_password), 1);
    const reset = await db.selectFrom('password_resets').selectAll().where('account_id', '=', u.id).executeTakeFirstOrThrow();
    assert.deepEqual([reset.channel, reset.agent_id, reset.second_factor, reset.delivery], ['self-service', null, 'sms', 'sms']);
  });

  const at = (ip: string): Ctx => ({ ...anon(), ip });
  const laMails = async (accountId: string, prefix: string): Promise<string[]> =>
    (await db.selectFrom('notifications').select(['template', 'recipient', 'dedupe_key']).execute())
      .filter((n) => n.dedupe_key?.startsWith(`${prefix}:${accountId}:`)).map((n) => `${n.template} ${n.recipient}`);
  const throttled = (e: unknown): boolean => e instanceof DomainError && e.code === 'rate_limited';

  test('self-service failures never lock the console: the address is throttled from every client, the LAs are told at the threshold only', async () => {
    const u = await person();
    for (let i = 0; i < 4; i++) {
      const c = await startSelfService(db, at('203.0.113.10'), config, { email: u.email, mobileLast4: i % 2 ? '0000' : u.mobile.slice(-4) });
      await finishSelfService(db, at('203.0.113.10'), config, { flow: c.flow, characters: chars(c, true), code: '' });
    }
    assert.deepEqual(await laMails(u.id, 'recovery-self-service'), [], 'below the threshold: no email');
    const fifth = await startSelfService(db, at('203.0.113.10'), config, { email: u.email, mobileLast4: '0000' });
    await finishSelfService(db, at('203.0.113.10'), config, { flow: fifth.flow, characters: chars(fifth), code: '' });
    assert.deepEqual(await laMails(u.id, 'recovery-self-service'), [`recovery/self-service-failures ${w.la.email}`], 'at the threshold: one email to the LA');
    for (const ip of ['203.0.113.10', '198.51.100.99']) {
      await assert.rejects(startSelfService(db, at(ip), config, { email: u.email, mobileLast4: u.mobile.slice(-4) }), throttled, `the address is throttled from ${ip}`);
    }
    assert.deepEqual(await loadVerifyThrottle(db, u.id), { failures: 0, lockouts: 0, lockedUntil: null }, 'the console count is untouched');
    assert.deepEqual(await laMails(u.id, 'recovery-lock'), [], 'no lock emails');
    const agent = await ctxOf(w.agent.id);
    const v = await startVerification(db, agent, config, u.id);
    const answer = await answerChallenge(db, agent, config, { accountId: u.id, challengeId: v.id, characters: v.items.map((i) => charFor(i)), flow: 'f' });
    assert.equal(answer.passed, true, 'the helpdesk can still verify the account');
    clock.advance(15 * 60_000);
    const later = await startSelfService(db, at('198.51.100.99'), config, { email: u.email, mobileLast4: u.mobile.slice(-4) });
    await finishSelfService(db, at('198.51.100.99'), config, { flow: later.flow, characters: chars(later), code: '' });
    assert.equal((await db.selectFrom('password_resets').select('id').where('account_id', '=', u.id).execute()).length, 1, 'after the window, self-service works again');
  });

  test('a client address is throttled across different addresses, known or not; another client is not', async () => {
    const strict = recoveryTestConfig({ recoverySelfServiceMaxPerClient: 3 });
    const ip = '192.0.2.33';
    const addresses = [(await person()).email, 'nobody-one@example.test', (await person()).email];
    for (const email of addresses) {
      const c = await startSelfService(db, at(ip), strict, { email, mobileLast4: '0000' });
      await finishSelfService(db, at(ip), strict, { flow: c.flow, characters: ['q', 'q'], code: '' });
    }
    const fresh = await person();
    await assert.rejects(startSelfService(db, at(ip), strict, { email: fresh.email, mobileLast4: fresh.mobile.slice(-4) }), throttled);
    await assert.rejects(startSelfService(db, at(ip), strict, { email: 'nobody-two@example.test', mobileLast4: '1234' }), throttled);
    const c = await startSelfService(db, at('192.0.2.34'), strict, { email: fresh.email, mobileLast4: fresh.mobile.slice(-4) });
    await finishSelfService(db, at('192.0.2.34'), strict, { flow: c.flow, characters: chars(c), code: '' });
    assert.equal((await db.selectFrom('password_resets').select('id').where('account_id', '=', fresh.id).execute()).length, 1);
  });

  test('every address gets a stable challenge that changes after each answer, whether or not it is real', async () => {
    const u = await person();
    const cases = [{ email: u.email, last4: u.mobile.slice(-4) }, { email: 'nobody-here@example.test', last4: '1234' }, { email: (await person()).email, last4: '0000' }];
    for (const k of cases) {
      const first = await startSelfService(db, at('192.0.2.50'), config, { email: k.email, mobileLast4: k.last4 });
      assert.deepEqual((await startSelfService(db, at('192.0.2.51'), config, { email: k.email.toUpperCase(), mobileLast4: '9999' })).items, first.items, 'asked again: the same');
      await finishSelfService(db, at('192.0.2.50'), config, { flow: first.flow, characters: ['q', 'q'], code: '' });
      const second = await startSelfService(db, at('192.0.2.50'), config, { email: k.email, mobileLast4: k.last4 });
      assert.notDeepEqual(second.items.map((i) => [i.question, i.position]), first.items.map((i) => [i.question, i.position]), 'after an answer: a new challenge');
      await finishSelfService(db, at('192.0.2.50'), config, { flow: first.flow, characters: ['q', 'q'], code: '' });
      assert.deepEqual((await startSelfService(db, at('192.0.2.50'), config, { email: k.email, mobileLast4: k.last4 })).items, second.items, 'an old page answered again changes nothing');
      assert.equal(second.flow.length, first.flow.length);
    }
    await assert.rejects(finishSelfService(db, anon(), config, { flow: 'forged', characters: ['a', 'b'], code: '' }), (e: unknown) => e instanceof DomainError && e.code === 'invalid');
  });

  test('refused for compromised accounts; an enrolled authenticator app is required too', async () => {
    const comp = await person({ compromised: true });
    const c1 = await startSelfService(db, anon(), config, { email: comp.email, mobileLast4: comp.mobile.slice(-4) });
    await finishSelfService(db, anon(), config, { flow: c1.flow, characters: chars(c1), code: '' });
    assert.equal((await db.selectFrom('password_resets').select('id').where('account_id', '=', comp.id).execute()).length, 0);
    const app = await person({ totp: true });
    const c2 = await startSelfService(db, anon(), config, { email: app.email, mobileLast4: app.mobile.slice(-4) });
    await finishSelfService(db, anon(), config, { flow: c2.flow, characters: chars(c2), code: '' });
    assert.equal((await db.selectFrom('password_resets').select('id').where('account_id', '=', app.id).execute()).length, 0, 'no code: no reset');
    clock.advance(30_000);
    const c3 = await startSelfService(db, anon(), config, { email: app.email, mobileLast4: app.mobile.slice(-4) });
    await finishSelfService(db, anon(), config, { flow: c3.flow, characters: chars(c3), code: totpCode(app.totpSecret!, clock.now()) });
    const r = await db.selectFrom('password_resets').selectAll().where('account_id', '=', app.id).executeTakeFirstOrThrow();
    assert.equal(r.second_factor, 'totp');
  });

  test('the review lists every reset of the organisation with flags, LA-scoped; a review is recorded', async () => {
    const u = await person({ businessArea: 'Finance' });
    const a = await ctxOf(w.agent.id);
    const c = await startVerification(db, a, config, u.id);
    await answerChallenge(db, a, config, { accountId: u.id, challengeId: c.id, characters: ['x', 'x'], flow: 'f' });
    const c2 = await startVerification(db, a, config, u.id);
    const v = await answerChallenge(db, a, config, { accountId: u.id, challengeId: c2.id, characters: c2.items.map((i) => charFor(i)), flow: 'f' });
    assert.equal(v.next, 'second-factor', 'a UK mobile means a second check');
    clock.set(new Date('2026-03-03T21:30:00Z'));
    await db.updateTable('recovery_verifications').set({ status: 'passed', second_factor: 'sms', expires_at: '2026-03-03T21:40:00.000Z' }).where('id', '=', v.verificationId).execute();
    await resetPassword(db, await ctxOf(w.agent.id), config, { verificationId: v.verificationId, flow: 'f', ticket: 'INC-77', delivery: 'shown' });
    const review = await resetReview(db, await ctxOf(w.la.id), config, { from: '2026-03-01', to: '2026-03-31' });
    const row = review.rows.find((r) => r.accountId === u.id)!;
    assert.deepEqual([row.channel, row.agentEmail, row.agentOrganisationName, row.secondFactor, row.ticket, row.outcome], ['helpdesk', w.agent.email, 'Platform operations test', 'sms', 'INC-77', 'Passed after 1 failed']);
    assert.deepEqual(row.flags, ['after-failures', 'high-risk', 'outside-hours']);
    assert.equal(review.due, true);
    await assert.rejects(resetReview(db, await ctxOf(w.otherLa.id), config, { organisationId: w.org.id }), (e: unknown) => e instanceof DomainError && e.code === 'not_found', "another organisation's review is a 404");
    await assert.rejects(recordReview(db, await ctxOf(w.agent.id), config, { organisationId: w.org.id, from: '2026-03-01', to: '2026-03-31', notes: '' }), (e: unknown) => e instanceof DomainError);
    await recordReview(db, await ctxOf(w.la.id), config, { organisationId: w.org.id, from: '2026-03-01', to: '2026-03-31', notes: 'Checked INC-77 with the helpdesk.' });
    const last = await lastReviewFor(db, w.org.id);
    assert.equal(last?.reviewerEmail, w.la.email);
    assert.equal(last?.resets, review.rows.length);
    assert.equal((await reviewNagFor(db, w.org.id, clock.now(), 90)).due, false);
    assert.equal((await reviewNagFor(db, w.org.id, new Date(clock.now().getTime() + 91 * 86_400_000), 90)).due, true);
  });
});
