import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { cliContext } from '../platform/context.js';
import { Forbidden } from '../platform/errors/errors.js';
import { ManualClock, testApp } from '../platform/testing/app.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { enrolTestTotp, makeAccount, makeOrganisation, signedInClient } from '../platform/testing/factories.js';
import { createApiToken, resolveApiToken, TOKEN_NEEDS_MFA } from './tokens.commands.js';

/**
 * An API token of an account that must use MFA (mfaReasons) and has no factor is refused,
 * unless the operator minted it for automation (--allow-without-mfa).
 */
describeEachDatabase('API tokens of accounts that must use MFA', (t) => {
  let app: FastifyInstance;
  const clock = new ManualClock(new Date());
  before(async () => { ({ app } = await testApp(t.handle.db, { clock })); });
  after(() => app.close());

  async function payrollAccount(): Promise<{ id: string; email: string; organisationId: string }> {
    const org = await makeOrganisation(t.handle.db, { highRiskAreas: ['Payroll'] });
    const a = await makeAccount(t.handle.db, { organisationId: org.id, businessArea: 'Payroll', roles: ['user'], totp: false });
    return { ...a, organisationId: org.id };
  }

  const me = (token: string) => app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });

  async function tokenEvents(accountId: string): Promise<Record<string, unknown>[]> {
    const rows = await t.handle.db.selectFrom('audit_events').select('details').where('action', '=', 'token.create').where('target', '=', `account:${accountId}`).orderBy('seq').execute();
    return rows.map((r) => JSON.parse(r.details) as Record<string, unknown>);
  }

  test('a token of an account in a high-risk area with no factor is refused with 403 and says why; it is never marked used', async () => {
    const a = await payrollAccount();
    const { token, id } = await createApiToken(t.handle.db, cliContext(clock.now()), { email: a.email, name: 'script' });
    await assert.rejects(resolveApiToken(t.handle.db, token, clock.now()), (err: unknown) => err instanceof Forbidden && err.message === TOKEN_NEEDS_MFA);
    const r = await me(token);
    assert.equal(r.statusCode, 403);
    assert.deepEqual({ ...(r.json() as Record<string, unknown>), requestId: undefined }, { error: 'forbidden', message: TOKEN_NEEDS_MFA, problems: [], requestId: undefined });
    const row = await t.handle.db.selectFrom('api_tokens').select(['last_used_at', 'allow_without_mfa']).where('id', '=', id).executeTakeFirstOrThrow();
    assert.deepEqual(row, { last_used_at: null, allow_without_mfa: 0 });
    assert.deepEqual(await tokenEvents(a.id), [{ tokenId: id, name: 'script', allowWithoutMfa: false }]);
  });

  test('the same token works once the account has enrolled an authenticator app', async () => {
    const a = await payrollAccount();
    const { token } = await createApiToken(t.handle.db, cliContext(clock.now()), { email: a.email, name: 'script' });
    assert.equal((await me(token)).statusCode, 403);
    await enrolTestTotp(t.handle.db, a.id);
    const r = await me(token);
    assert.equal(r.statusCode, 200);
    assert.equal((r.json() as { email: string }).email, a.email);
  });

  test('a token minted with allowWithoutMfa works, and its audit event and the account page say so', async () => {
    const a = await payrollAccount();
    const { token, id } = await createApiToken(t.handle.db, cliContext(clock.now()), { email: a.email, name: 'payroll export', allowWithoutMfa: true });
    const r = await me(token);
    assert.equal(r.statusCode, 200);
    assert.equal((r.json() as { email: string }).email, a.email);
    assert.deepEqual(await tokenEvents(a.id), [{ tokenId: id, name: 'payroll export', allowWithoutMfa: true }]);
    const admin = await makeAccount(t.handle.db, { organisationId: a.organisationId, roles: ['local-admin'] });
    const c = await signedInClient(app, clock, admin.email);
    const page = await c.get(`/accounts/${a.id}`);
    assert.equal(page.status, 200);
    const row = /<tr class="nhsuk-table__row">\s*<td class="nhsuk-table__cell">payroll export<\/td>[\s\S]*?<\/tr>/.exec(page.body)?.[0] ?? '';
    assert.match(row, /Yes – created for automation/);
  });

  test('an account that need not use MFA keeps using its token without a factor', async () => {
    const org = await makeOrganisation(t.handle.db, { highRiskAreas: ['Payroll'] });
    const a = await makeAccount(t.handle.db, { organisationId: org.id, businessArea: 'Clinical', roles: ['user'], totp: false });
    const { token } = await createApiToken(t.handle.db, cliContext(clock.now()), { email: a.email, name: 'script' });
    assert.equal((await me(token)).statusCode, 200);
  });
});
