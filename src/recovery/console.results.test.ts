import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { findAccount, rolesOf } from '../directory/directory.repo.js';
import { totpCode } from '../mfa/mfa.js';
import { ManualClock } from '../platform/clock.js';
import type { Actor, Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { makeAccount, testCtx } from '../platform/testing/factories.js';
import { answerChallenge, startVerification } from './console.commands.js';
import { ANSWERS, charFor, giveQuestions, recoveryTestConfig, type RecoveryWorld, seedWorld, ukMobile } from './recovery.fixtures.js';
import { resetPassword } from './reset.commands.js';
import { passSecondFactor } from './second-factor.commands.js';

/**
 * The console commands return what their pages need, so a route renders or redirects from
 * one command's result and never loads the verification again.
 */
describeEachDatabase('console commands return what the page needs', (t) => {
  const clock = new ManualClock(new Date('2026-03-03T10:00:00Z'));
  const config = recoveryTestConfig();
  let w: RecoveryWorld;
  let db: Db;

  before(async () => {
    db = t.handle.db;
    w = await seedWorld(db);
  });

  async function agent(): Promise<Ctx> {
    const a = (await findAccount(db, w.agent.id, { all: true }))!;
    const actor: Actor = { accountId: a.id, email: a.email, organisationId: a.organisationId, roles: await rolesOf(db, a.id) };
    return testCtx(actor, clock.now());
  }

  /** A fresh caller with an authenticator app and a UK mobile, whose questions were just answered right. */
  async function callerPastQuestions(): Promise<{ id: string; email: string; mobile: string; totpSecret: string; verificationId: string }> {
    const mobile = ukMobile();
    const u = await makeAccount(db, { organisationId: w.org.id, mobile, totp: true });
    await giveQuestions(db, u.id);
    const a = await agent();
    const c = await startVerification(db, a, config, u.id);
    const r = await answerChallenge(db, a, config, { accountId: u.id, challengeId: c.id, characters: c.items.map((i) => charFor(i, ANSWERS)), flow: 'flow-1' });
    assert.equal(r.next, 'second-factor');
    return { id: u.id, email: u.email, mobile, totpSecret: u.totpSecret!, verificationId: r.verificationId };
  }

  test('a reset returns its confirmation page: the ticket as recorded, the account\'s address and the last 4 digits of its mobile', async () => {
    const u = await callerPastQuestions();
    clock.advance(30_000);
    const passed = await passSecondFactor(db, await agent(), config, { verificationId: u.verificationId, flow: 'flow-1', kind: 'totp', code: totpCode(u.totpSecret, clock.now()) });
    assert.deepEqual(passed, { passed: true, lockedUntil: null, attemptsLeft: config.recoveryMaxFailures, accountId: u.id });
    const done = await resetPassword(db, await agent(), config, { verificationId: u.verificationId, flow: 'flow-1', ticket: '  INC-42 ', delivery: 'shown' });
    assert.equal(done.delivery, 'shown');
    assert.equal(done.ticket, 'INC-42');
    assert.deepEqual(done.account, { id: u.id, email: u.email, mobileEnding: u.mobile.slice(-4) });
    assert.equal(typeof done.temporaryPassword, 'string');
  });

  test('a failed second check returns the account it was for (where the console goes back to) with the attempts left', async () => {
    const u = await callerPastQuestions();
    const failed = await passSecondFactor(db, await agent(), config, { verificationId: u.verificationId, flow: 'flow-1', kind: 'totp', code: '000000' === totpCode(u.totpSecret, clock.now()) ? '111111' : '000000' });
    assert.deepEqual(failed, { passed: false, lockedUntil: null, attemptsLeft: config.recoveryMaxFailures - 1, accountId: u.id });
  });
});
