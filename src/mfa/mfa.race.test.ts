import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { deriveKey, keyedHash } from '../platform/crypto/secrets.js';
import type { Db } from '../platform/db/db.js';
import { TEST_SECRET_KEY } from '../platform/testing/app.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { atOnce, outcomesOf } from '../platform/testing/race.js';
import { makeAccount, makeOrganisation, testCtx } from '../platform/testing/factories.js';
import { insertSession } from '../signin/signin.repo.js';
import { verifyRecoveryCodeAtSignin, verifyTotpAtSignin } from './mfa.commands.js';
import { totpCode } from './mfa.js';
import { replaceRecoveryCodes } from './mfa.repo.js';

/**
 * Two sign-ins at the same instant with one single-use secret, fired together against the
 * real database. The outer check (the factor's last step as read, the code's used_at as
 * read) passes for both, because both read before either writes (`atOnce` makes sure); only the conditional
 * UPDATE stops the second. Each test fails when that UPDATE loses its condition.
 */
describeEachDatabase('MFA single-use guards under concurrency', (t) => {
  const keys = { secretKey: Buffer.from(TEST_SECRET_KEY, 'hex') };
  const now = new Date('2026-06-01T09:00:00Z');

  /** An account with an authenticator app and two half-signed-in sessions (at the code step). */
  async function twoAtTheCodeStep(db: Db): Promise<{ account: Awaited<ReturnType<typeof makeAccount>>; organisationId: string; sessions: string[] }> {
    const org = await makeOrganisation(db);
    const account = await makeAccount(db, { organisationId: org.id, totp: true });
    const sessions = [randomUUID(), randomUUID()];
    for (const id of sessions) {
      await insertSession(db, {
        id, accountId: account.id, stage: 'mfa', deviceId: null, mfaAt: null, createdAt: now.toISOString(), lastSeenAt: now.toISOString(),
        expiresAt: '2099-01-01T00:00:00Z', ip: '127.0.0.1', userAgent: 'race',
      });
    }
    return { account, organisationId: org.id, sessions };
  }

  async function outcomes(db: Db, accountId: string, step: 'totp' | 'recovery'): Promise<string[]> {
    const rows = await db.selectFrom('signin_events').select('outcome').where('account_id', '=', accountId).where('step', '=', step).execute();
    return rows.map((r) => r.outcome).sort();
  }

  test('one TOTP code sent by two sign-ins at the same instant signs in exactly one of them', async () => {
    const { db } = t.handle;
    const { account, organisationId, sessions } = await twoAtTheCodeStep(db);
    const code = totpCode(account.totpSecret!, now);
    const actor = { accountId: account.id, email: account.email, organisationId, roles: [] };
    const settled = await atOnce(t.handle, { table: 'mfa_factors', column: 'account_id', value: account.id },
      sessions.map((sessionId) => () => verifyTotpAtSignin(db, testCtx(actor, now), keys, { sessionId, code, userAgent: 'race', deviceId: null })));
    const { values, errors } = outcomesOf(settled);
    assert.deepEqual(errors, []);
    assert.deepEqual(values.map((r) => r.ok).sort(), [false, true], 'one signed in, one refused');
    assert.deepEqual(await outcomes(db, account.id, 'totp'), ['failure', 'success']);
    const full = await db.selectFrom('sessions').select('id').where('account_id', '=', account.id).where('stage', '=', 'full').where('revoked_at', 'is', null).execute();
    assert.equal(full.length, 1, 'one full session');
  });

  test('one recovery code sent by two sign-ins at the same instant signs in exactly one of them', async () => {
    const { db } = t.handle;
    const { account, organisationId, sessions } = await twoAtTheCodeStep(db);
    const hash = keyedHash(deriveKey(keys.secretKey, 'recovery-codes'), 'abcdefghjkmn');
    await replaceRecoveryCodes(db, account.id, [{ id: randomUUID(), hash }], now.toISOString());
    const actor = { accountId: account.id, email: account.email, organisationId, roles: [] };
    const settled = await atOnce(t.handle, { table: 'recovery_codes', column: 'account_id', value: account.id },
      sessions.map((sessionId) => () => verifyRecoveryCodeAtSignin(db, testCtx(actor, now), keys, { sessionId, code: 'abcd-efgh-jkmn', userAgent: 'race', deviceId: null })));
    const { values, errors } = outcomesOf(settled);
    assert.deepEqual(errors, []);
    assert.deepEqual(values.map((r) => r.ok).sort(), [false, true], 'one signed in, one refused');
    assert.deepEqual(await outcomes(db, account.id, 'recovery'), ['failure', 'success']);
  });
});
