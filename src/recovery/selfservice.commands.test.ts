import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { findAccount, rolesOf } from '../directory/directory.repo.js';
import { totpCode } from '../mfa/mfa.js';
import { ManualClock } from '../platform/clock.js';
import type { Actor, Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { DomainError } from '../platform/errors/errors.js';
import { deliverDueNotifications } from '../platform/notify/runner.js';
import { listLocalSms } from '../platform/notify/sms.local.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { makeAccount, testCtx } from '../platform/testing/factories.js';
import { verifyPassword } from '../signin/password.js';
import { answerChallenge, startVerification } from './console.commands.js';
import { normaliseAnswer } from './recovery.js';
import { ANSWERS, charFor, giveQuestions, recoveryTestConfig, type RecoveryWorld, seedWorld, ukMobile } from './recovery.fixtures.js';
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
    const a = (await findAccount(db, id, { all: true }))!;
    const actor: Actor = { accountId: a.id, email: a.email, organisationId: a.organisationId, roles: await rolesOf(db, id) };
    return testCtx(actor, clock.now());
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

  test('the same kind of answer whether or not the account exists; decoys are stable; failures count and lock', async () => {
    const ghost = await startSelfService(db, anon(), config, { email: 'nobody-here@example.test', mobileLast4: '1234' });
    const again = await startSelfService(db, anon(), config, { email: 'Nobody-Here@example.test', mobileLast4: '9999' });
    assert.deepEqual(ghost.items, again.items, 'an unknown address gets the same made-up challenge every time');
    assert.equal(ghost.flow.length, (await startSelfService(db, anon(), config, { email: (await person()).email, mobileLast4: '0000' })).flow.length, 'tokens the same length');
    await finishSelfService(db, anon(), config, { flow: ghost.flow, characters: ['a', 'b'], code: '' });
    const u = await person();
    for (let i = 0; i < 2; i++) {
      const c = await startSelfService(db, anon(), config, { email: u.email, mobileLast4: u.mobile.slice(-4) });
      await finishSelfService(db, anon(), config, { flow: c.flow, characters: chars(c, true), code: '' });
    }
    await startSelfService(db, anon(), config, { email: u.email, mobileLast4: '0000' }); // wrong digits: the third failure
    const c = await startSelfService(db, anon(), config, { email: u.email, mobileLast4: u.mobile.slice(-4) });
    await finishSelfService(db, anon(), config, { flow: c.flow, characters: chars(c), code: '' });
    assert.equal((await db.selectFrom('password_resets').select('id').where('account_id', '=', u.id).execute()).length, 0, 'locked: even right answers do nothing');
    assert.equal((await smsTo(u.mobile)).length, 0);
    const mails = await db.selectFrom('notifications').select('recipient').where('template', '=', 'recovery/verification-locked').where('account_id', '=', w.la.id).execute();
    assert.ok(mails.length >= 1, 'the LAs were told');
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
