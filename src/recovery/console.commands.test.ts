import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { totpCode } from '../mfa/mfa.js';
import { ManualClock } from '../platform/clock.js';
import type { Ctx } from '../platform/context.js';
import { cliContext } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { DomainError } from '../platform/errors/errors.js';
import { deliverDueNotifications } from '../platform/notify/runner.js';
import { listLocalSms } from '../platform/notify/sms.local.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { actorCtx, makeAccount } from '../platform/testing/factories.js';
import { verifyPassword } from '../signin/password.js';
import { insertApiToken, insertSession } from '../signin/signin.repo.js';
import { answerChallenge, startVerification } from './console.commands.js';
import { ANSWERS, charFor, giveQuestions, recoveryTestConfig, type RecoveryWorld, seedWorld, ukMobile } from './recovery.fixtures.js';
import { resetPassword } from './reset.commands.js';
import { passSecondFactor, sendVerificationSms } from './second-factor.commands.js';

/** Rejects with a domain error of this code. */
async function refused(p: Promise<unknown>, code: string, why: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof DomainError && e.code === code, why);
}

describeEachDatabase('verify, then reset (console commands)', (t) => {
  const clock = new ManualClock(new Date('2026-03-03T10:00:00Z'));
  const config = recoveryTestConfig();
  let w: RecoveryWorld;
  let db: Db;

  before(async () => {
    db = t.handle.db;
    w = await seedWorld(db);
  });

  async function ctxOf(id: string): Promise<Ctx> {
    return actorCtx(db, id, clock.now());
  }

  async function user(opts: { mobile?: boolean; totp?: boolean; roles?: ('user' | 'local-admin')[]; org?: string } = {}): Promise<Awaited<ReturnType<typeof makeAccount>>> {
    const u = await makeAccount(db, { organisationId: opts.org ?? w.org.id, mobile: opts.mobile ? ukMobile() : null, totp: opts.totp ?? false, roles: opts.roles });
    await giveQuestions(db, u.id);
    return u;
  }

  async function answer(ctx: Ctx, accountId: string, opts: { wrong?: boolean; flow?: string | null } = {}): Promise<Awaited<ReturnType<typeof answerChallenge>>> {
    const c = await startVerification(db, ctx, config, accountId);
    return answerChallenge(db, ctx, config, { accountId, challengeId: c.id, characters: c.items.map((i, n) => charFor(i, ANSWERS, opts.wrong === true && n === 1)), flow: opts.flow === undefined ? 'flow-1' : opts.flow });
  }

  test('answers are stored only as per-character keyed hashes', async () => {
    const u = await user();
    const rows = await db.selectFrom('security_questions').selectAll().where('account_id', '=', u.id).execute();
    assert.equal(rows.length, 3);
    const dump = JSON.stringify(rows).toLowerCase();
    for (const e of ANSWERS) {
      assert.ok(!dump.includes(e.answer.toLowerCase().replace(/\s/g, '')) && !dump.includes(e.answer.toLowerCase()), 'no answer in the database');
    }
    assert.equal((JSON.parse(rows[2]!.char_hashes) as string[]).length, 'vauxhallnova'.length);
  });

  test('the challenge does not re-roll: same for reloads and other agents until answered', async () => {
    const u = await user();
    const a = await ctxOf(w.agent.id);
    const first = await startVerification(db, a, config, u.id);
    assert.equal(first.items.length, 2);
    assert.notEqual(first.items[0]!.question, first.items[1]!.question);
    for (let i = 0; i < 5; i++) assert.deepEqual(await startVerification(db, a, config, u.id), first);
    assert.deepEqual(await startVerification(db, await ctxOf(w.agent2.id), config, u.id), first, 'another agent gets the same challenge');
    assert.deepEqual(await startVerification(db, await ctxOf(w.la.id), config, u.id), first, 'so does the LA');
    const r = await answerChallenge(db, a, config, { accountId: u.id, challengeId: first.id, characters: first.items.map((i) => charFor(i)), flow: 'f' });
    assert.equal(r.passed, true);
    assert.notEqual((await startVerification(db, a, config, u.id)).id, first.id, 'a new challenge only after an answer');
    await refused(answerChallenge(db, a, config, { accountId: u.id, challengeId: first.id, characters: ['a', 'b'], flow: 'f' }), 'conflict', 'an answered challenge cannot be answered again');
  });

  test('3 failed verifications lock for 15 minutes and tell the LAs; every attempt is audited without the characters', async () => {
    const u = await user();
    const a = await ctxOf(w.agent.id);
    await refused(answerChallenge(db, a, config, { accountId: u.id, challengeId: (await startVerification(db, a, config, u.id)).id, characters: ['ab', ''], flow: 'f' }), 'invalid', 'malformed input uses nothing up');
    for (let i = 1; i <= 3; i++) {
      const r = await answer(a, u.id, { wrong: true });
      assert.equal(r.passed, false);
      assert.equal(r.attemptsLeft, 3 - i);
    }
    await refused(startVerification(db, a, config, u.id), 'rate_limited', 'locked');
    await refused(startVerification(db, await ctxOf(w.agent2.id), config, u.id), 'rate_limited', 'locked for every agent');
    const mails = await db.selectFrom('notifications').selectAll().where('template', '=', 'recovery/verification-locked').where('organisation_id', '=', w.org.id).execute();
    assert.deepEqual(mails.map((m) => m.recipient), [w.la.email]);
    const audit = await db.selectFrom('audit_events').selectAll().where('target', '=', `account:${u.id}`).execute();
    assert.equal(audit.filter((e) => e.action === 'recovery.verify.questions' && e.outcome === 'failure').length, 3);
    assert.equal(audit.filter((e) => e.action === 'recovery.verify.locked').length, 1);
    for (const e of audit) assert.deepEqual(Object.keys(JSON.parse(e.details) as object).filter((k) => !['verificationId', 'channel', 'until', 'failures'].includes(k)), []);
    clock.advance(15 * 60_000);
    assert.equal((await answer(await ctxOf(w.agent.id), u.id)).passed, true, 'after 15 minutes verification works again');
  });

  test('no reset without a passed verification of the same agent and flow', async () => {
    const u = await user();
    const before = (await db.selectFrom('accounts').select('password_hash').where('id', '=', u.id).executeTakeFirstOrThrow()).password_hash;
    const a = await ctxOf(w.agent.id);
    const reset = (ctx: Ctx, id: string, flow: string | null = 'flow-1'): Promise<unknown> => resetPassword(db, ctx, config, { verificationId: id, flow, ticket: 'INC-1', delivery: 'shown' });
    await refused(reset(a, '0190a0a0-0000-7000-8000-000000000000'), 'not_found', 'no verification');
    const failed = await answer(a, u.id, { wrong: true });
    await refused(reset(a, failed.verificationId), 'conflict', 'a failed verification');
    const ok = await answer(a, u.id);
    assert.equal(ok.next, 'reset');
    await refused(reset(await ctxOf(w.agent2.id), ok.verificationId), 'not_found', "another agent's verification");
    await refused(reset(a, ok.verificationId, 'another-session'), 'not_found', 'the same agent in another session');
    await refused(reset(a, ok.verificationId, null), 'not_found', 'a portal verification through the API');
    await refused(resetPassword(db, cliContext(clock.now()), config, { verificationId: ok.verificationId, flow: 'flow-1', ticket: 'INC-1', delivery: 'shown' }), 'not_found', 'the CLI operator');
    await refused(resetPassword(db, a, config, { verificationId: ok.verificationId, flow: 'flow-1', ticket: '  ', delivery: 'shown' }), 'invalid', 'a ticket reference is required');
    clock.advance(11 * 60_000);
    await refused(reset(await ctxOf(w.agent.id), ok.verificationId), 'conflict', 'an expired verification');
    const after = (await db.selectFrom('accounts').select('password_hash').where('id', '=', u.id).executeTakeFirstOrThrow()).password_hash;
    assert.equal(after, before, 'nothing changed');
    const fresh = await answer(await ctxOf(w.agent.id), u.id);
    const done = await reset(await ctxOf(w.agent.id), fresh.verificationId) as { temporaryPassword: string };
    assert.ok(done.temporaryPassword);
    await refused(reset(await ctxOf(w.agent.id), fresh.verificationId), 'conflict', 'a verification is used once');
  });

  test('the reset: one-time password to change, sessions and tokens revoked, MFA kept, SMS sent; TOTP replay refused', async () => {
    const u = await user({ mobile: true, totp: true });
    const now = clock.now().toISOString();
    await insertSession(db, { id: `s-${u.id}`, accountId: u.id, createdAt: now, lastSeenAt: now, expiresAt: '2099-01-01T00:00:00Z', ip: '', userAgent: '', stage: 'full', deviceId: null, mfaAt: null });
    await insertApiToken(db, { id: `t-${u.id}`, accountId: u.id, name: 'x', tokenHash: `h-${u.id}`, createdAt: now });
    let a = await ctxOf(w.agent.id);
    const r = await answer(a, u.id);
    assert.equal(r.next, 'second-factor');
    await refused(resetPassword(db, a, config, { verificationId: r.verificationId, flow: 'flow-1', ticket: 'INC-2', delivery: 'sms' }), 'conflict', 'not before the second factor');
    clock.advance(30_000);
    a = await ctxOf(w.agent.id);
    const code = totpCode(u.totpSecret!, clock.now());
    assert.equal((await passSecondFactor(db, a, config, { verificationId: r.verificationId, flow: 'flow-1', kind: 'totp', code })).passed, true);
    const replay = await answer(a, u.id);
    assert.equal((await passSecondFactor(db, a, config, { verificationId: replay.verificationId, flow: 'flow-1', kind: 'totp', code })).passed, false, 'a used code is refused');
    const done = await resetPassword(db, a, config, { verificationId: r.verificationId, flow: 'flow-1', ticket: 'INC-2', delivery: 'sms' });
    assert.equal(done.temporaryPassword, null, 'sent by SMS, not shown');
    const row = await db.selectFrom('accounts').selectAll().where('id', '=', u.id).executeTakeFirstOrThrow();
    assert.equal(Number(row.must_change_password), 1);
    assert.ok((await db.selectFrom('sessions').select('revoked_at').where('id', '=', `s-${u.id}`).executeTakeFirstOrThrow()).revoked_at);
    assert.ok((await db.selectFrom('api_tokens').select('revoked_at').where('id', '=', `t-${u.id}`).executeTakeFirstOrThrow()).revoked_at);
    assert.equal((await db.selectFrom('mfa_factors').select('id').where('account_id', '=', u.id).execute()).length, 1, 'MFA is never removed');
    const resetRow = await db.selectFrom('password_resets').selectAll().where('account_id', '=', u.id).executeTakeFirstOrThrow();
    assert.deepEqual([resetRow.channel, resetRow.second_factor, resetRow.delivery, resetRow.ticket, resetRow.agent_email], ['helpdesk', 'totp', 'sms', 'INC-2', w.agent.email]);
    await deliverDueNotifications({ db, config, clock });
    const sms = (await listLocalSms(config)).filter((s) => s.to === row.mobile);
    const password = /temporary password is (\S+)/.exec(sms.at(-1)?.body ?? '')?.[1];
    assert.ok(password && (await verifyPassword(row.password_hash!, password)), 'the SMS carries the temporary password');
  });

  test('a one-time code by SMS: hashed at rest, delivered, single try, expires', async () => {
    const u = await user({ mobile: true });
    const mobile = (await db.selectFrom('accounts').select('mobile').where('id', '=', u.id).executeTakeFirstOrThrow()).mobile!;
    const a = await ctxOf(w.agent.id);
    const codeSent = async (verificationId: string): Promise<string> => {
      await sendVerificationSms(db, await ctxOf(w.agent.id), config, { verificationId, flow: 'flow-1' });
      await deliverDueNotifications({ db, config, clock });
      const body = (await listLocalSms(config)).filter((s) => s.to === mobile).at(-1)!.body;
      const stored = await db.selectFrom('recovery_verifications').select('sms_code_hash').where('id', '=', verificationId).executeTakeFirstOrThrow();
      const code = /code is (\d{6})/.exec(body)![1]!;
      assert.ok(stored.sms_code_hash && !stored.sms_code_hash.includes(code));
      return code;
    };
    const v1 = await answer(a, u.id);
    const code1 = await codeSent(v1.verificationId);
    const wrong = code1 === '000000' ? '000001' : '000000';
    assert.equal((await passSecondFactor(db, a, config, { verificationId: v1.verificationId, flow: 'flow-1', kind: 'sms', code: wrong })).passed, false);
    await refused(passSecondFactor(db, a, config, { verificationId: v1.verificationId, flow: 'flow-1', kind: 'sms', code: code1 }), 'conflict', 'one try: the verification failed');
    const v2 = await answer(await ctxOf(w.agent.id), u.id);
    const code2 = await codeSent(v2.verificationId);
    clock.advance(6 * 60_000);
    await refused(passSecondFactor(db, await ctxOf(w.agent.id), config, { verificationId: v2.verificationId, flow: 'flow-1', kind: 'sms', code: code2 }), 'conflict', 'expired');
    const v3 = await answer(await ctxOf(w.agent.id), u.id);
    const code3 = await codeSent(v3.verificationId);
    assert.equal((await passSecondFactor(db, await ctxOf(w.agent.id), config, { verificationId: v3.verificationId, flow: 'flow-1', kind: 'sms', code: code3 })).passed, true);
    assert.ok((await resetPassword(db, await ctxOf(w.agent.id), config, { verificationId: v3.verificationId, flow: 'flow-1', ticket: 'INC-3', delivery: 'shown' })).temporaryPassword);
  });

  test('privileged accounts and referrals: never on questions alone, refused in the commands too', async () => {
    const a = await ctxOf(w.agent.id);
    const la2 = await user({ roles: ['user', 'local-admin'], totp: true });
    const r = await answer(a, la2.id);
    assert.equal(r.next, 'second-factor');
    await refused(resetPassword(db, a, config, { verificationId: r.verificationId, flow: 'flow-1', ticket: 'X', delivery: 'shown' }), 'conflict', 'privileged: questions alone never suffice');
    const bare = await user({ roles: ['user', 'local-admin'] });
    await refused(startVerification(db, a, config, bare.id), 'conflict', 'privileged with no phone-checkable factor is referred');
    const nonUk = await user();
    await db.updateTable('accounts').set({ status: 'disabled', status_reason: 'non-uk-mobile' }).where('id', '=', nonUk.id).execute();
    await refused(startVerification(db, a, config, nonUk.id), 'conflict', 'non-UK mobile: referral');
    const comp = await user();
    const passed = await answer(a, comp.id);
    await db.updateTable('accounts').set({ compromised_at: clock.now().toISOString() }).where('id', '=', comp.id).execute();
    await refused(resetPassword(db, a, config, { verificationId: passed.verificationId, flow: 'flow-1', ticket: 'X', delivery: 'shown' }), 'conflict', 'compromised after the verification');
    await refused(startVerification(db, a, config, comp.id), 'conflict', 'compromised: referral');
  });

  test('LA scope: own organisations only; nobody resets themselves', async () => {
    const u = await user();
    await refused(startVerification(db, await ctxOf(w.otherLa.id), config, u.id), 'not_found', 'an LA of another organisation');
    const r = await answer(await ctxOf(w.la.id), u.id);
    const done = await resetPassword(db, await ctxOf(w.la.id), config, { verificationId: r.verificationId, flow: 'flow-1', ticket: 'LA-1', delivery: 'shown' });
    const row = await db.selectFrom('password_resets').selectAll().where('id', '=', done.resetId).executeTakeFirstOrThrow();
    assert.equal(row.channel, 'la');
    const plain = await makeAccount(db, { organisationId: w.org.id });
    await refused(startVerification(db, await ctxOf(plain.id), config, u.id), 'forbidden', 'a user has no console');
    await refused(startVerification(db, await ctxOf(w.agent.id), config, w.agent.id), 'forbidden', 'not your own account');
  });
});
