import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { findAccount } from '../directory/directory.repo.js';
import { type Actor, cliContext, type Ctx } from '../platform/context.js';
import { Forbidden } from '../platform/errors/errors.js';
import { testConfig } from '../platform/testing/app.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation, testCtx } from '../platform/testing/factories.js';
import { actorFor } from '../signin/signin.commands.js';
import { remediateMobileFor, sweepReportFor } from './phones.commands.js';
import { phoneTasksFor } from './phones.tasks.js';
import { continueSweep, openSweepRun } from './phones.sweep.js';
import { NOW, outcome, seedOrg } from './phones.fixtures.js';

const config = testConfig({ allowCrownDependencyMobiles: false });

describeEachDatabase('the UK-mobile sweep', (t) => {
  let admin: Ctx;
  before(async () => {
    const { db } = t.handle;
    const platform = await makeOrganisation(db);
    const a = await makeAccount(db, { organisationId: platform.id, roles: ['user', 'platform-admin'] });
    admin = testCtx(await actorFor(db, (await findAccount(db, a.id, { all: true }))!) as Actor, NOW);
  });

  test('a dry run lists every account whose number is not an allowed UK mobile, with why, and changes nothing', async () => {
    const { db } = t.handle;
    const s = await seedOrg(db, 'D');
    const { run } = await openSweepRun(db, admin, config, { mode: 'dry-run', organisationCode: s.code });
    const done = await continueSweep(db, admin, config, run.id, { batchSize: 4 });
    assert.deepEqual([done.status, done.checked, done.failing, done.disabled], ['finished', 13, 9, 0]);
    let csv = '';
    for await (const chunk of sweepReportFor(db, admin, run.id)) csv += chunk;
    const lines = csv.trim().split('\r\n');
    assert.equal(lines[0], 'organisation_code,organisation_name,account,number_as_stored,why,action');
    const row = (who: string) => lines.find((l) => l.includes(`,${who}@`));
    assert.match(row('french')!, /,'\+33612345678,This is a French number\. Only UK mobile numbers can be registered\.,would-disable$/);
    assert.match(row('landline')!, /This is a UK landline number/);
    assert.match(row('garbage')!, /,ring reception,"This is not a phone number\./);
    assert.match(row('guernsey')!, /This is a Guernsey mobile number/);
    assert.match(row('old')!, /,already-disabled$/);
    assert.match(row('leaver')!, /,left-as-is$/);
    for (const ok of ['gb', 'gb-national', 'none', 'gb2', 'gb3']) assert.equal(row(ok), undefined, ok);
    assert.equal((await findAccount(db, s.ids['french']!, { all: true }))!.status, 'active');
    const la = testCtx(await actorFor(db, (await findAccount(db, s.la, { all: true }))!), NOW);
    await assert.rejects(openSweepRun(db, la, config, { mode: 'dry-run' }), Forbidden);
    await assert.rejects(continueSweep(db, la, config, run.id), Forbidden);
  });

  test('apply disables, signs out, sends one digest per LA, audits; a second apply changes nothing; LA remediation re-enables', async () => {
    const { db } = t.handle;
    const s = await seedOrg(db, 'A');
    const { run } = await openSweepRun(db, admin, config, { mode: 'apply', organisationCode: s.code });
    const done = await continueSweep(db, admin, config, run.id, { batchSize: 5 });
    const o = await outcome(db, done.id, s.orgId, s.ids);
    assert.deepEqual(o.run, ['finished', 13, 9, 7]);
    assert.deepEqual(o.digests, ['la', 'la2']);
    assert.deepEqual(o.people['french'], { status: 'disabled', reason: 'non-uk-mobile', item: 'disabled', problem: 'not-uk', disableAudits: 1, liveSessions: 0 });
    assert.deepEqual(o.people['gb'], { status: 'active', reason: null, item: null, problem: null, disableAudits: 0, liveSessions: 0 });
    assert.deepEqual((o.people['leaver'] as { status: string; reason: string }).reason, 'leaver');
    assert.equal((await db.selectFrom('audit_events').select('seq').where('action', '=', 'phones.sweep.notify').where('target', '=', `sweep:${run.id}`).execute()).length, 1);

    const again = await openSweepRun(db, admin, config, { mode: 'apply', organisationCode: s.code });
    assert.equal(again.resumed, false);
    const second = await continueSweep(db, admin, config, again.run.id);
    assert.deepEqual([second.failing, second.disabled], [9, 0]);
    assert.deepEqual((await outcome(db, second.id, s.orgId, s.ids)).digests, ['la', 'la2'], 'no new digest');

    const la = testCtx(await actorFor(db, (await findAccount(db, s.la, { all: true }))!), NOW);
    assert.deepEqual(await phoneTasksFor(db, la), [{ href: '/phones/disabled', text: '8 accounts are disabled because the mobile number is not a UK mobile: give them a UK number', urgent: false }]);
    await assert.rejects(remediateMobileFor(db, la, config, s.ids['french']!, '+33 6 12 34 56 78'), (e: Error & { problems?: string[] }) => /French/.test(e.problems?.join() ?? ''));
    const fixed = await remediateMobileFor(db, la, config, s.ids['french']!, '07400 111222');
    assert.deepEqual([fixed.status, fixed.statusReason, fixed.mobile], ['active', null, '+447400111222']);
    const [audit] = await db.selectFrom('audit_events').select('details').where('action', '=', 'account.mobile.remediate').where('target', '=', `account:${s.ids['french']}`).execute();
    assert.deepEqual(JSON.parse(audit!.details).mobile, { from: '…678', to: '…222' });
  });

  test('killed half-way and run again, apply ends exactly like an uninterrupted run', async () => {
    const { db } = t.handle;
    const whole = await seedOrg(db, 'W');
    const crashed = await seedOrg(db, 'C');
    const a = await openSweepRun(db, admin, config, { mode: 'apply', organisationCode: whole.code });
    const uninterrupted = await continueSweep(db, admin, config, a.run.id, { batchSize: 3 });

    const b = await openSweepRun(db, admin, config, { mode: 'apply', organisationCode: crashed.code });
    await assert.rejects(continueSweep(db, admin, config, b.run.id, {
      batchSize: 3, afterBatch: (n) => { if (n === 2) throw new Error('power cut'); },
    }), /power cut/);
    const half = await db.selectFrom('phone_sweep_runs').selectAll().where('id', '=', b.run.id).executeTakeFirstOrThrow();
    assert.deepEqual([half.status, Number(half.checked)], ['running', 6]);
    const resumed = await openSweepRun(db, cliContext(NOW), config, { mode: 'apply', organisationCode: crashed.code });
    assert.deepEqual([resumed.resumed, resumed.run.id], [true, b.run.id]);
    const finished = await continueSweep(db, cliContext(NOW), config, b.run.id, { batchSize: 5 });

    assert.deepEqual(await outcome(db, finished.id, crashed.orgId, crashed.ids), await outcome(db, uninterrupted.id, whole.orgId, whole.ids));
  });

  test('two processes on one run cannot both process a batch', async () => {
    const { db } = t.handle;
    const s = await seedOrg(db, 'P');
    const { run } = await openSweepRun(db, admin, config, { mode: 'apply', organisationCode: s.code });
    const results = await Promise.allSettled([continueSweep(db, admin, config, run.id, { batchSize: 2 }), continueSweep(db, admin, config, run.id, { batchSize: 2 })]);
    if (results.some((r) => r.status === 'rejected')) {
      // The loser stopped on the compare-and-set; finish the run as an operator would.
      await continueSweep(db, admin, config, run.id, { batchSize: 2 });
    }
    const o = await outcome(db, run.id, s.orgId, s.ids);
    assert.deepEqual(o.run, ['finished', 13, 9, 7]);
    for (const p of Object.values(o.people) as { disableAudits: number }[]) assert.ok(p.disableAudits <= 1);
    assert.deepEqual(o.digests, ['la', 'la2']);
  });
});
