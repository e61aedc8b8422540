import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recordAudit } from '../../audit/audit.commands.js';
import { listEvents } from '../../audit/audit.repo.js';
import { listAccounts, listOrganisations } from '../../directory/directory.repo.js';
import { findCoverageOrganisation, requiredNotEnrolled } from '../../mfa/coverage.repo.js';
import { cliContext } from '../context.js';
import { describeEachDatabase } from '../testing/databases.js';
import { makeAccount, makeOrganisation } from '../testing/factories.js';
import { containsText, escapeLike } from './like.js';

test('escapeLike escapes the escape character first, then the wildcards', () => {
  assert.equal(escapeLike('50%_off\\now'), '50\\%\\_off\\\\now');
  assert.equal(escapeLike('plain text'), 'plain text');
});

describeEachDatabase('LIKE searches match % _ and \\ literally', (t) => {
  test('organisation and account searches: `_`, `%` and `\\` find only the literal character', async () => {
    const { db } = t.handle;
    const tag = Math.random().toString(36).slice(2, 8);
    const names = { underscore: `Lk_${tag} Trust`, percent: `Lk%${tag} Trust`, plain: `LkX${tag} Trust`, backslash: `Lk\\${tag} Trust` };
    const orgs = Object.fromEntries(await Promise.all(Object.entries(names).map(async ([k, name]) => [k, await makeOrganisation(db, { name })] as const)));
    const scope = { all: false as const, organisationIds: Object.values(orgs).map((o) => o.id) };
    const orgNames = async (search: string): Promise<string[]> => (await listOrganisations(db, scope, { search, limit: 10 })).map((o) => o.name).sort();
    assert.deepEqual(await orgNames('_'), [names.underscore]);
    assert.deepEqual(await orgNames('%'), [names.percent]);
    assert.deepEqual(await orgNames('\\'), [names.backslash]);
    assert.deepEqual(await orgNames(`k_${tag}`), [names.underscore]);
    assert.deepEqual(await orgNames(`x${tag}`), [names.plain], 'an ordinary fragment, without case');
    assert.deepEqual(await orgNames(tag), Object.values(names).sort());

    const org = orgs.plain!;
    const people = { underscore: 'Ann_Lee', percent: '100% Ann', plain: 'Annxlee' };
    for (const displayName of Object.values(people)) await makeAccount(db, { organisationId: org.id, displayName, securityQuestions: false });
    const accountNames = async (search: string): Promise<string[]> =>
      (await listAccounts(db, { all: false, organisationIds: [org.id] }, { search, limit: 10 })).map((a) => a.displayName).sort();
    assert.deepEqual(await accountNames('_'), [people.underscore]);
    assert.deepEqual(await accountNames('n_l'), [people.underscore]);
    assert.deepEqual(await accountNames('%'), [people.percent]);
    assert.deepEqual(await accountNames('ann'), Object.values(people).sort());
  });

  test('the audit log action filter is a literal prefix', async () => {
    const { db } = t.handle;
    const org = await makeOrganisation(db);
    for (const action of ['lk.one', 'lkxtwo', 'lk_three']) await recordAudit(db, cliContext(new Date()), { action, organisationId: org.id, target: null });
    const actions = async (action: string): Promise<string[]> => (await listEvents(db, { all: false, organisationIds: [org.id] }, { action, limit: 10 })).map((e) => e.action).sort();
    assert.deepEqual(await actions('lk_'), ['lk_three']);
    assert.deepEqual(await actions('lk.'), ['lk.one']);
    assert.deepEqual(await actions('lk%'), []);
    assert.deepEqual(await actions('lk'), ['lk.one', 'lk_three', 'lkxtwo']);
  });

  test('the MFA coverage area filter: `_` finds only an area with a literal `_`', async () => {
    const { db } = t.handle;
    const created = await makeOrganisation(db, { highRiskAreas: ['Fin_Ops', 'FinXOps'] });
    for (const businessArea of ['Fin_Ops', 'FinXOps']) await makeAccount(db, { organisationId: created.id, businessArea, totp: false, securityQuestions: false });
    const org = (await findCoverageOrganisation(db, created.id, { all: true }))!;
    const areas = async (areaSearch: string): Promise<string[]> => (await requiredNotEnrolled(db, org, { areaSearch, limit: 10 })).map((a) => a.businessArea).sort();
    assert.deepEqual(await areas('_'), ['Fin_Ops']);
    assert.deepEqual(await areas('n_o'), ['Fin_Ops']);
    assert.deepEqual(await areas('%'), []);
    assert.deepEqual(await areas('fin'), ['FinXOps', 'Fin_Ops']);
  });

  test('the helper on a raw column: contains `%` only where there is one', async () => {
    const { db } = t.handle;
    const org = await makeOrganisation(db, { name: `Raw 100% ${Math.random().toString(36).slice(2, 8)}` });
    const rows = await db.selectFrom('organisations').select('name').where('id', '=', org.id).where((eb) => containsText(eb.ref('name'), '0% ')).execute();
    assert.equal(rows.length, 1);
    const none = await db.selectFrom('organisations').select('name').where('id', '=', org.id).where((eb) => containsText(eb.ref('name'), '0_ ')).execute();
    assert.equal(none.length, 0);
  });
});
