import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { findAccount, findOrganisation, rolesOf } from '../directory/directory.repo.js';
import type { Db } from '../platform/db/db.js';
import { DomainError } from '../platform/errors/errors.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { enrolTestTotp, makeAccount, testCtx } from '../platform/testing/factories.js';
import { exportMissingFor, getCoverageFor, listMissingFor } from './coverage.commands.js';
import { EXPECTED_A, seedCoverage, type Seeded } from './coverage.fixtures.js';
import {
  confirmAreaRequirement, confirmListRequirement, previewAreaRequirement, previewListRequirement, unmarkAccountFor,
} from './coverage.require.commands.js';
import { mfaReasons } from './mfa.js';

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DomainError) return err.code;
    throw err;
  }
  return 'allowed';
}

async function snapshot(db: Db): Promise<string> {
  const accounts = await db.selectFrom('accounts').select(['id', 'mfa_required', 'updated_at']).orderBy('id').execute();
  const orgs = await db.selectFrom('organisations').select(['id', 'high_risk_areas']).orderBy('id').execute();
  return JSON.stringify({ accounts, orgs });
}

async function auditCount(db: Db, action: string): Promise<number> {
  return (await db.selectFrom('audit_events').select('seq').where('action', '=', action).execute()).length;
}

describeEachDatabase('MFA coverage commands', (t) => {
  let s: Seeded;
  before(async () => {
    s = await seedCoverage(t.handle.db);
  });

  test('per-area numbers are right for a seeded organisation (both databases agree)', async () => {
    const view = await getCoverageFor(t.handle.db, testCtx(s.actors.la), {});
    assert.equal(view.organisation.id, s.orgA.id, 'an LA sees their own organisation by default');
    assert.deepEqual(view.areas, EXPECTED_A);
    assert.deepEqual(view.totals, { total: 13, required: 9, requiredEnrolled: 3, enrolled: 4 });
    assert.equal(view.canRequire, true);
    const filtered = await getCoverageFor(t.handle.db, testCtx(s.actors.la), { search: 'fin', gapsOnly: true });
    assert.deepEqual(filtered.areas.map((a) => a.businessArea), ['Finance', 'finance']);
  });

  test('the SQL requirement rule agrees with mfaReasons for every account', async () => {
    const { db } = t.handle;
    const org = (await findOrganisation(db, s.orgA.id, { all: true }))!;
    const missing = new Set((await listMissingFor(db, testCtx(s.actors.la), { limit: 1000 })).map((a) => a.id));
    const rows = await db.selectFrom('accounts').select('id').where('organisation_id', '=', s.orgA.id).execute();
    for (const { id } of rows) {
      const a = (await findAccount(db, id, { all: true }))!;
      const reasons = mfaReasons({ businessArea: a.businessArea, highRiskAreas: org.highRiskAreas, roles: await rolesOf(db, id), mfaRequired: a.mfaRequired, compromisedAt: a.compromisedAt });
      const enrolled = (await db.selectFrom('mfa_factors').select('id').where('account_id', '=', id).where('status', '=', 'active').execute()).length > 0;
      assert.equal(missing.has(id), reasons.length > 0 && !enrolled, a.email);
    }
    const list = await listMissingFor(db, testCtx(s.actors.la), {});
    assert.deepEqual(list.map((a) => a.email.split('@')[0]).sort(), ['c3', 'c4', 'c6', 'f2', 'f3', 'f4']);
    assert.deepEqual(list.find((a) => a.id === s.a.c6!.id)!.reasons, ['privileged-role']);
    const page = await listMissingFor(db, testCtx(s.actors.la), { limit: 2, afterEmail: list[1]!.email });
    assert.deepEqual(page.map((a) => a.id), list.slice(2, 4).map((a) => a.id));
  });

  test('reading: LAs only their organisations, CSOC and helpdesk-style roles anything, plain users nothing', async () => {
    const { db } = t.handle;
    assert.equal(await refusal(getCoverageFor(db, testCtx(s.actors.la), { organisationId: s.orgB.id })), 'not_found');
    assert.equal(await refusal(listMissingFor(db, testCtx(s.actors.la), { organisationId: s.orgB.id })), 'not_found');
    assert.equal(await refusal(exportMissingFor(db, testCtx(s.actors.la), { organisationId: s.orgB.id }).next()), 'not_found');
    assert.equal(await refusal(getCoverageFor(db, testCtx(s.actors.plain), {})), 'forbidden');
    const csoc = await getCoverageFor(db, testCtx(s.actors.csoc), { organisationId: s.orgA.id });
    assert.deepEqual(csoc.areas, EXPECTED_A);
    assert.equal(csoc.canRequire, false);
    assert.ok(csoc.organisations.some((o) => o.id === s.orgB.id), 'platform roles pick any organisation');
  });

  test('requiring MFA: CSOC and plain users are refused, an LA gets 404 for another organisation', async () => {
    const { db } = t.handle;
    const before = await snapshot(db);
    const area = { organisationId: s.orgB.id, businessArea: 'Estates' };
    for (const actor of [s.actors.csoc, s.actors.plain]) {
      assert.equal(await refusal(previewAreaRequirement(db, testCtx(actor), area)), 'forbidden');
      assert.equal(await refusal(confirmAreaRequirement(db, testCtx(actor), area)), 'forbidden');
      assert.equal(await refusal(confirmListRequirement(db, testCtx(actor), { text: s.b.e1!.email })), 'forbidden');
      assert.equal(await refusal(unmarkAccountFor(db, testCtx(actor), s.a.c3!.id)), 'forbidden');
    }
    assert.equal(await refusal(previewAreaRequirement(db, testCtx(s.actors.la), area)), 'not_found');
    assert.equal(await refusal(confirmAreaRequirement(db, testCtx(s.actors.la), area)), 'not_found');
    assert.equal(await refusal(unmarkAccountFor(db, testCtx(s.actors.la), s.b.e1!.id)), 'not_found');
    // Org B's addresses pasted by org A's LA: "not found", exactly like addresses that do not exist.
    const r = await confirmListRequirement(db, testCtx(s.actors.la), { text: `${s.b.e1!.email}\nnobody@${s.orgA.domain}\n${s.b.f1!.email}` });
    assert.equal(r.affected.length, 0);
    assert.deepEqual(r.notFound, [{ line: 1, email: s.b.e1!.email }, { line: 2, email: `nobody@${s.orgA.domain}` }, { line: 3, email: s.b.f1!.email }]);
    assert.equal(await snapshot(db), before, 'nothing changed');
  });

  test('area: preview changes nothing; confirm marks the area high-risk, covers exactly the previewed accounts, audits once', async () => {
    const { db } = t.handle;
    const before = await snapshot(db);
    const audits = await auditCount(db, 'mfa.require.area');
    const input = { organisationId: s.orgA.id, businessArea: ' estates ' };
    const preview = await previewAreaRequirement(db, testCtx(s.actors.la), input);
    assert.equal(await snapshot(db), before, 'the preview changed nothing');
    assert.equal(preview.alreadyHighRisk, false);
    assert.equal(preview.businessArea, 'estates');
    assert.deepEqual(preview.affected.map((a) => a.id).sort(), [s.a.e1!.id, s.a.e2!.id].sort());

    assert.equal(await refusal(confirmAreaRequirement(db, testCtx(s.actors.la), { ...input, expectedAffected: 5 })), 'conflict');
    assert.equal(await snapshot(db), before, 'a confirm whose count no longer matches changes nothing');

    const done = await confirmAreaRequirement(db, testCtx(s.actors.la), { ...input, expectedAffected: 2 });
    assert.equal(done.applied, true);
    assert.deepEqual(done.affected.map((a) => a.id).sort(), preview.affected.map((a) => a.id).sort());
    assert.deepEqual((await findOrganisation(db, s.orgA.id, { all: true }))!.highRiskAreas, ['Finance', 'HR', 'estates']);
    const view = await getCoverageFor(db, testCtx(s.actors.la), { search: 'Estates' });
    assert.deepEqual(view.areas, [{ businessArea: 'Estates', total: 2, required: 2, requiredEnrolled: 0, enrolled: 0, highRisk: true }]);
    assert.equal(await auditCount(db, 'mfa.require.area'), audits + 1);
    const ev = await db.selectFrom('audit_events').selectAll().where('action', '=', 'mfa.require.area').orderBy('seq', 'desc').executeTakeFirstOrThrow();
    assert.equal(ev.organisation_id, s.orgA.id);
    assert.equal(ev.actor_id, s.la.id);
    const details = JSON.parse(ev.details) as { businessArea: string; count: number; accountIds: string[] };
    assert.equal(details.businessArea, 'estates');
    assert.equal(details.count, 2);
    assert.deepEqual(details.accountIds.sort(), [s.a.e1!.id, s.a.e2!.id].sort());

    // Someone who joins the area later is covered too, and a second request is a no-op.
    const later = await makeAccount(db, { organisationId: s.orgA.id, businessArea: 'ESTATES', password: null });
    assert.ok((await listMissingFor(db, testCtx(s.actors.la), {})).some((a) => a.id === later.id));
    const again = await confirmAreaRequirement(db, testCtx(s.actors.la), { organisationId: s.orgA.id, businessArea: 'Estates' });
    assert.equal(again.alreadyHighRisk, true);
    assert.equal(again.applied, false);
    assert.equal(await auditCount(db, 'mfa.require.area'), audits + 1);
    assert.equal(await refusal(previewAreaRequirement(db, testCtx(s.actors.la), { organisationId: s.orgA.id, businessArea: '  ' })), 'invalid');
  });

  test('list: preview changes nothing; confirm marks exactly the previewed accounts in scope; audited; the mark can be lifted', async () => {
    const { db } = t.handle;
    const before = await snapshot(db);
    const text = [s.a.c1!.email.toUpperCase(), `${s.a.c3!.email}; ${s.b.f1!.email}`, 'not-an-address', s.a.f2!.email, s.a.c1!.email].join('\n');
    const preview = await previewListRequirement(db, testCtx(s.actors.la), { text });
    assert.equal(await snapshot(db), before, 'the preview changed nothing');
    assert.deepEqual(preview.affected.map((a) => [a.email, a.line, a.requiredBefore]), [[s.a.c1!.email, 1, false], [s.a.f2!.email, 4, true]]);
    assert.deepEqual(preview.alreadyMarked.map((a) => a.id), [s.a.c3!.id]);
    assert.deepEqual(preview.notFound, [{ line: 2, email: s.b.f1!.email }]);
    assert.deepEqual(preview.invalid, [{ line: 3, text: 'not-an-address' }]);

    const audits = await auditCount(db, 'mfa.require.accounts');
    const done = await confirmListRequirement(db, testCtx(s.actors.la), { text, expectedAffected: 2 });
    assert.equal(done.applied, true);
    const marked = await db.selectFrom('accounts').select('id').where('mfa_required', '=', 1).execute();
    assert.deepEqual(marked.map((r) => r.id).sort(), [s.a.c1!.id, s.a.c3!.id, s.a.f2!.id].sort(), 'exactly the previewed accounts, plus the one already marked');
    assert.equal(await auditCount(db, 'mfa.require.accounts'), audits + 1);
    const ev = await db.selectFrom('audit_events').selectAll().where('action', '=', 'mfa.require.accounts').orderBy('seq', 'desc').executeTakeFirstOrThrow();
    assert.equal(ev.organisation_id, s.orgA.id);
    assert.deepEqual(JSON.parse(ev.details), {
      count: 2, accountIds: [s.a.c1!.id, s.a.f2!.id], accountIdsTruncated: false, listTotal: 2, alreadyMarked: 1, notFound: 1, invalid: 1,
    });

    assert.equal(await refusal(previewListRequirement(db, testCtx(s.actors.la), { text: ' \n ' })), 'invalid');
    const tooMany = Array.from({ length: 5001 }, (_, i) => `u${i}@x.example`).join('\n');
    assert.equal(await refusal(previewListRequirement(db, testCtx(s.actors.la), { text: tooMany })), 'invalid');

    assert.equal(await unmarkAccountFor(db, testCtx(s.actors.la), s.a.c1!.id), true);
    assert.equal(await unmarkAccountFor(db, testCtx(s.actors.la), s.a.c1!.id), false);
    assert.equal((await findAccount(db, s.a.c1!.id, { all: true }))!.mfaRequired, false);
    assert.equal(await auditCount(db, 'mfa.unmark'), 1);
  });

  test('coverage reads live data: an enrolment shows at once', async () => {
    const { db } = t.handle;
    const before = (await getCoverageFor(db, testCtx(s.actors.admin), { organisationId: s.orgA.id, search: 'HR' })).areas[0]!;
    const h2 = await makeAccount(db, { organisationId: s.orgA.id, businessArea: 'HR', password: null });
    const mid = (await getCoverageFor(db, testCtx(s.actors.admin), { organisationId: s.orgA.id, search: 'HR' })).areas[0]!;
    assert.deepEqual([mid.total, mid.required, mid.requiredEnrolled], [before.total + 1, before.required + 1, before.requiredEnrolled]);
    await enrolTestTotp(db, h2.id);
    const after = (await getCoverageFor(db, testCtx(s.actors.admin), { organisationId: s.orgA.id, search: 'HR' })).areas[0]!;
    assert.equal(after.requiredEnrolled, before.requiredEnrolled + 1);
  });
});
