import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { ManualClock } from '../platform/clock.js';
import type { Config } from '../platform/config/config.js';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { deliverDueNotifications } from '../platform/notify/runner.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { actorCtx, makeAccount, makeOrganisation } from '../platform/testing/factories.js';
import { answerChallenge, startVerification } from './console.commands.js';
import { charFor, giveQuestions, recoveryTestConfig, seedWorld, type RecoveryWorld } from './recovery.fixtures.js';

describeEachDatabase('the verification lock tells the account, the CSOC and the LAs', (t) => {
  const clock = new ManualClock(new Date('2026-03-03T10:00:00Z'));
  let db: Db;
  let w: RecoveryWorld;

  before(async () => {
    db = t.handle.db;
    w = await seedWorld(db);
  });

  async function ctxOf(id: string): Promise<Ctx> {
    return actorCtx(db, id, clock.now());
  }

  /** Fails verification of the account `times` times through the console of `agentId`. */
  async function fail(config: Config, agentId: string, accountId: string, times: number): Promise<void> {
    const ctx = await ctxOf(agentId);
    for (let i = 0; i < times; i++) {
      const c = await startVerification(db, ctx, config, accountId);
      await answerChallenge(db, ctx, config, { accountId, challengeId: c.id, characters: c.items.map((it) => charFor(it, undefined, true)), flow: 'f' });
    }
  }

  const lockMails = async (accountId: string): Promise<string[]> =>
    (await db.selectFrom('notifications').select(['template', 'recipient', 'status', 'dedupe_key']).execute())
      .filter((n) => n.dedupe_key?.startsWith(`recovery-lock:${accountId}:`)).map((n) => `${n.template} ${n.recipient} ${n.status}`).sort();

  test('a helpdesk lock emails exactly the account, the CSOC (default csoc@<platform domain>) and each LA, once', async () => {
    const config = recoveryTestConfig();
    const u = await makeAccount(db, { organisationId: w.org.id });
    await giveQuestions(db, u.id);
    await fail(config, w.agent.id, u.id, 2);
    assert.deepEqual(await lockMails(u.id), [], 'no lock yet: nobody told');
    await fail(config, w.agent.id, u.id, 1);
    await deliverDueNotifications({ db, config, clock });
    assert.deepEqual(await lockMails(u.id), [
      `recovery/verification-locked ${w.la.email} sent`,
      `recovery/verification-locked-account ${u.email} sent`,
      `recovery/verification-locked-csoc csoc@${config.platformDomain} sent`,
    ].sort());
  });

  test("an LA's lock on their own organisation's account emails the configured CSOC address, the account and every LA", async () => {
    const config = recoveryTestConfig({ csocEmail: 'Security-Ops@csoc.example.test' });
    const org = await makeOrganisation(db);
    const la = await makeAccount(db, { organisationId: org.id, roles: ['user', 'local-admin'] });
    const la2 = await makeAccount(db, { organisationId: org.id, roles: ['user', 'local-admin'] });
    for (const a of [la, la2]) await giveQuestions(db, a.id);
    const u = await makeAccount(db, { organisationId: org.id });
    await giveQuestions(db, u.id);
    await fail(config, la.id, u.id, 3);
    assert.deepEqual(await lockMails(u.id), [
      `recovery/verification-locked ${la.email} pending`,
      `recovery/verification-locked ${la2.email} pending`,
      `recovery/verification-locked-account ${u.email} pending`,
      'recovery/verification-locked-csoc security-ops@csoc.example.test pending',
    ].sort());
  });
});
