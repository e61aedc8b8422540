import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { totpCode } from '../mfa/mfa.js';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { Conflict } from '../platform/errors/errors.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { actorCtx, makeAccount } from '../platform/testing/factories.js';
import { atOnce, outcomesOf } from '../platform/testing/race.js';
import { answerChallenge, startVerification } from './console.commands.js';
import { ANSWERS, charFor, giveQuestions, recoveryTestConfig, type RecoveryWorld, seedWorld } from './recovery.fixtures.js';
import { resetPassword } from './reset.commands.js';
import { passSecondFactor } from './second-factor.commands.js';

/**
 * Two helpdesk requests at the same instant against one single-use thing, fired together
 * against the real database (`atOnce`: both read, and pass the outer check, before either
 * writes). Only the conditional UPDATE (or DELETE) stops the second; each test fails when
 * it loses its condition.
 */
describeEachDatabase('recovery single-use guards under concurrency', (t) => {
  const config = recoveryTestConfig();
  const now = new Date('2026-03-03T10:00:00Z');
  let w: RecoveryWorld;
  let db: Db;

  before(async () => {
    db = t.handle.db;
    w = await seedWorld(db);
  });

  async function ctxOf(id: string): Promise<Ctx> {
    return actorCtx(db, id, now);
  }

  async function caller(totp: boolean): Promise<Awaited<ReturnType<typeof makeAccount>>> {
    const u = await makeAccount(db, { organisationId: w.org.id, mobile: null, totp });
    await giveQuestions(db, u.id);
    return u;
  }

  async function answered(agentId: string, accountId: string): Promise<string> {
    const a = await ctxOf(agentId);
    const c = await startVerification(db, a, config, accountId);
    const r = await answerChallenge(db, a, config, { accountId, challengeId: c.id, characters: c.items.map((i) => charFor(i, ANSWERS)), flow: 'flow-1' });
    assert.equal(r.passed, true);
    return r.verificationId;
  }

  async function statuses(accountId: string): Promise<string[]> {
    return (await db.selectFrom('recovery_verifications').select('status').where('account_id', '=', accountId).execute()).map((r) => r.status).sort();
  }

  test('one authenticator code read out to two agents at the same instant passes exactly one verification', async () => {
    const u = await caller(true);
    const v1 = await answered(w.agent.id, u.id);
    const v2 = await answered(w.agent2.id, u.id);
    const code = totpCode(u.totpSecret!, now);
    const [a1, a2] = [await ctxOf(w.agent.id), await ctxOf(w.agent2.id)];
    const settled = await atOnce(t.handle, { table: 'mfa_factors', column: 'account_id', value: u.id }, [
      () => passSecondFactor(db, a1, config, { verificationId: v1, flow: 'flow-1', kind: 'totp', code }),
      () => passSecondFactor(db, a2, config, { verificationId: v2, flow: 'flow-1', kind: 'totp', code }),
    ]);
    const { values, errors } = outcomesOf(settled);
    assert.deepEqual(errors, []);
    assert.deepEqual(values.map((r) => r.passed).sort(), [false, true], 'one passed, one refused');
    assert.deepEqual(await statuses(u.id), ['failed', 'passed']);
  });

  test('one passed verification used for two resets at the same instant resets exactly once', async () => {
    const u = await caller(false);
    const v = await answered(w.agent.id, u.id);
    const a = await ctxOf(w.agent.id);
    const settled = await atOnce(t.handle, { table: 'recovery_verifications', column: 'id', value: v }, [0, 1].map(() =>
      () => resetPassword(db, a, config, { verificationId: v, flow: 'flow-1', ticket: 'INC-7', delivery: 'shown' })));
    const { values, errors } = outcomesOf(settled);
    assert.equal(values.length, 1, 'one reset');
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof Conflict, String(errors[0]));
    const resets = await db.selectFrom('password_resets').select('verification_id').where('account_id', '=', u.id).execute();
    assert.deepEqual(resets, [{ verification_id: v }]);
    const audits = await db.selectFrom('audit_events').select('seq').where('action', '=', 'recovery.reset').where('target', '=', `account:${u.id}`).execute();
    assert.equal(audits.length, 1);
    assert.deepEqual(await statuses(u.id), ['used']);
  });

  test('one challenge answered by two agents at the same instant makes exactly one verification', async () => {
    const u = await caller(false);
    const [a1, a2] = [await ctxOf(w.agent.id), await ctxOf(w.agent2.id)];
    const c = await startVerification(db, a1, config, u.id);
    const characters = c.items.map((i) => charFor(i, ANSWERS));
    const settled = await atOnce(t.handle, { table: 'recovery_challenges', column: 'account_id', value: u.id }, [a1, a2].map((a) =>
      () => answerChallenge(db, a, config, { accountId: u.id, challengeId: c.id, characters, flow: 'flow-1' })));
    const { values, errors } = outcomesOf(settled);
    assert.equal(values.length, 1, 'one verification');
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof Conflict, String(errors[0]));
    assert.deepEqual(await statuses(u.id), ['passed']);
  });
});
