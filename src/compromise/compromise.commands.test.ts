import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, test } from 'node:test';
import { findAccount } from '../directory/directory.repo.js';
import { mfaReasons } from '../mfa/mfa.js';
import { type Actor, cliContext, type Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { Conflict, Forbidden, Invalid, NotFound } from '../platform/errors/errors.js';
import { testConfig } from '../platform/testing/app.js';
import { describeEachDatabase, withOwnDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation, testCtx } from '../platform/testing/factories.js';
import { actorFor } from '../signin/signin.commands.js';
import { hashSecret } from '../signin/signin.js';
import { insertSession, insertSigninEvent, setPassword } from '../signin/signin.repo.js';
import { createApiToken, resolveApiToken } from '../signin/tokens.commands.js';
import { closeCaseFor, getCaseFor, listCasesFor, recordDeviceNotOursFor, recordDeviceScanFor } from './compromise.case.commands.js';
import { dismissSuspicionFor, listSuspicionsFor, markCompromised } from './compromise.commands.js';
import { escalateOverdueCases } from './compromise.escalation.js';
import { compromiseTasksFor } from './compromise.tasks.js';
import { raiseSuspectedCompromise } from './compromise.signals.js';

const config = testConfig();
const FLAG = new Date('2026-03-10T12:00:00.000Z');
const at = (days: number): Date => new Date(FLAG.getTime() + days * 86_400_000);

async function actorOf(db: Db, id: string): Promise<Actor> {
  return actorFor(db, (await findAccount(db, id, { all: true }))!);
}
async function audits(db: Db, action: string, target?: string): Promise<{ details: string; organisation_id: string | null }[]> {
  let q = db.selectFrom('audit_events').select(['details', 'organisation_id']).where('action', '=', action);
  if (target) q = q.where('target', '=', target);
  return q.execute();
}

describeEachDatabase('compromised accounts', (t) => {
  let org: Awaited<ReturnType<typeof makeOrganisation>>;
  let other: Awaited<ReturnType<typeof makeOrganisation>>;
  let csoc: Ctx;
  let la: Ctx;
  let otherLa: Ctx;
  let helpdesk: Ctx;
  let laEmail: string;

  before(async () => {
    const { db } = t.handle;
    org = await makeOrganisation(db);
    other = await makeOrganisation(db);
    const c = await makeAccount(db, { organisationId: org.id, roles: ['user', 'csoc'] });
    const l = await makeAccount(db, { organisationId: org.id, roles: ['user', 'local-admin'], displayName: 'Lee Admin' });
    const o = await makeAccount(db, { organisationId: other.id, roles: ['user', 'local-admin'] });
    const h = await makeAccount(db, { organisationId: org.id, roles: ['user', 'helpdesk'] });
    laEmail = l.email;
    csoc = testCtx(await actorOf(db, c.id), FLAG);
    la = testCtx(await actorOf(db, l.id), at(1));
    otherLa = testCtx(await actorOf(db, o.id), at(1));
    helpdesk = testCtx(await actorOf(db, h.id), FLAG);
  });

  async function victim(db: Db): Promise<{ id: string; email: string }> {
    const v = await makeAccount(db, { organisationId: org.id, displayName: 'Vic Tim' });
    const ev = (days: number, device: string | null, outcome: 'success' | 'failure' = 'success') => insertSigninEvent(db, {
      id: randomUUID(), account_id: v.id, organisation_id: org.id, at: at(days).toISOString(), step: 'password', outcome, ip: '192.0.2.10', user_agent: 'Mozilla/5.0 Firefox/128.0', device_id: device,
    });
    await ev(-40, 'old-device-00000000'); // before the 30-day window
    await ev(-10, 'laptop-device-000000');
    await ev(-2, 'phone-device-0000000');
    await ev(-1, 'failed-device-000000', 'failure');
    for (const id of ['s1', 's2']) {
      await insertSession(db, {
        id: hashSecret(id + v.id), accountId: v.id, createdAt: at(-1).toISOString(), lastSeenAt: at(-1).toISOString(), expiresAt: at(2).toISOString(),
        ip: '192.0.2.10', userAgent: 'x', stage: 'full', deviceId: null, mfaAt: null,
      });
    }
    return v;
  }

  test('marking does everything in one transaction: sessions, tokens, password, MFA, devices, LAs told, audit', async () => {
    const { db } = t.handle;
    const v = await victim(db);
    const { token } = await createApiToken(db, cliContext(FLAG), { email: v.email, name: 'script' });
    const r = await markCompromised(db, csoc, config, { email: v.email.toUpperCase(), reason: 'Sent internal phishing', evidenceRef: 'INC-42' });
    assert.deepEqual([r.sessions, r.tokens, r.devices, r.notified], [2, 1, 2, 1]);
    const a = (await findAccount(db, v.id, { all: true }))!;
    assert.equal(a.compromisedAt, FLAG.toISOString());
    assert.equal(a.mustChangePassword, true);
    assert.deepEqual(mfaReasons({ businessArea: a.businessArea, highRiskAreas: [], roles: [], mfaRequired: a.mfaRequired, compromisedAt: a.compromisedAt }), ['compromised']);
    assert.equal(await resolveApiToken(db, token, FLAG), null, 'the token is refused');
    const live = await db.selectFrom('sessions').select('id').where('account_id', '=', v.id).where('revoked_at', 'is', null).execute();
    assert.equal(live.length, 0);
    const mail = await db.selectFrom('notifications').selectAll().where('template', '=', 'compromise/case-opened').where('organisation_id', '=', org.id).execute();
    assert.deepEqual(mail.map((n) => [n.recipient, n.channel, n.status]), [[laEmail, 'email', 'pending']]);
    const [event] = await audits(db, 'account.compromised.mark', `account:${v.id}`);
    assert.deepEqual(JSON.parse(event!.details), {
      caseId: r.caseId, reason: 'Sent internal phishing', evidenceRef: 'INC-42', sessions: 2, tokens: 1, devices: 2, notified: 1, suspicionId: null, passwordInvalidated: false,
    });
    assert.notEqual((await db.selectFrom('accounts').select('password_hash').where('id', '=', v.id).executeTakeFirstOrThrow()).password_hash, null, 'the password still works (to be changed)');
    const view = await getCaseFor(db, la, r.caseId, 72);
    assert.deepEqual(view.devices.map((d) => d.deviceId), ['phone-device-0000000', 'laptop-device-000000'], 'the 30 days before the flag, successes only');
    await assert.rejects(markCompromised(db, csoc, config, { email: v.email, reason: 'again', evidenceRef: 'INC-43' }), Conflict);
  });

  test('only the CSOC, platform admins and the CLI mark; LAs see only their organisation\'s cases', async () => {
    const { db } = t.handle;
    const v = await victim(db);
    await assert.rejects(markCompromised(db, la, config, { email: v.email, reason: 'r', evidenceRef: 'e' }), Forbidden);
    await assert.rejects(markCompromised(db, helpdesk, config, { email: v.email, reason: 'r', evidenceRef: 'e' }), Forbidden);
    await assert.rejects(markCompromised(db, csoc, config, { email: v.email, reason: ' ', evidenceRef: '' }), Invalid);
    const r = await markCompromised(db, cliContext(FLAG), config, { email: v.email, reason: 'From the CLI', evidenceRef: 'INC-7', invalidatePassword: true });
    const row = await db.selectFrom('accounts').select(['password_hash', 'must_change_password']).where('id', '=', v.id).executeTakeFirstOrThrow();
    assert.deepEqual([row.password_hash, Number(row.must_change_password)], [null, 1], 'the old password no longer works');
    await assert.rejects(getCaseFor(db, otherLa, r.caseId, 72), NotFound);
    await assert.rejects(getCaseFor(db, helpdesk, r.caseId, 72), NotFound);
    await assert.rejects(recordDeviceNotOursFor(db, otherLa, r.caseId, randomUUID(), 'Not our device at all'), NotFound);
    assert.equal((await listCasesFor(db, otherLa, { status: 'open', escalationHours: 72 })).length, 0);
    assert.ok((await listCasesFor(db, la, { status: 'open', escalationHours: 72 })).some((c) => c.id === r.caseId));
    await assert.rejects(listCasesFor(db, helpdesk, { status: 'open', escalationHours: 72 }), Forbidden);
  });

  test('the checklist is computed; the case closes only when all is done; closing keeps MFA required', async () => {
    const { db } = t.handle;
    const v = await victim(db);
    const { caseId } = await markCompromised(db, csoc, config, { email: v.email, reason: 'Credentials on a paste site', evidenceRef: 'INC-77' });
    await assert.rejects(closeCaseFor(db, la, caseId), (e: Error) => e instanceof Invalid && e.problems.length === 3);

    await setPassword(db, v.id, 'argon-hash', at(0.5).toISOString(), false);
    const [factor] = await db.selectFrom('mfa_factors').select('id').where('account_id', '=', v.id).execute();
    assert.equal(factor, undefined);
    await db.insertInto('mfa_factors').values({
      id: randomUUID(), account_id: v.id, kind: 'totp', name: 'Work phone', status: 'active', secret_enc: null, last_step: null, credential_id: null,
      public_key: null, sign_count: null, transports: '[]', created_at: at(0.5).toISOString(), last_used_at: at(0.5).toISOString(),
    }).execute();
    let view = await getCaseFor(db, la, caseId, 72);
    assert.deepEqual([view.checklist.password.done, view.checklist.mfa.done, view.checklist.devices.done], [true, true, false]);

    const [phone, laptop] = view.devices;
    await assert.rejects(recordDeviceScanFor(db, la, caseId, phone!.id, { scannedBy: 'Sam', tool: 'Defender', result: 'clean', scannedOn: '2026-03-01' }), Invalid);
    await recordDeviceScanFor(db, la, caseId, phone!.id, { scannedBy: 'Sam Tech', tool: 'Defender full scan', result: 'infected', scannedOn: '2026-03-11' });
    await recordDeviceNotOursFor(db, la, caseId, laptop!.id, 'Personal laptop, no longer in the user\'s possession');
    await assert.rejects(closeCaseFor(db, la, caseId), (e: Error) => e instanceof Invalid && /1 device needs/.test(e.problems.join()));
    await recordDeviceScanFor(db, la, caseId, phone!.id, { scannedBy: 'Sam Tech', tool: 'Defender full scan', result: 'cleaned', scannedOn: '2026-03-11' });
    view = await getCaseFor(db, la, caseId, 72);
    assert.equal(view.checklist.complete, true);

    await closeCaseFor(db, la, caseId);
    const a = (await findAccount(db, v.id, { all: true }))!;
    assert.deepEqual([a.compromisedAt, a.mfaRequired], [null, true]);
    await assert.rejects(closeCaseFor(db, la, caseId), Conflict);
    await assert.rejects(recordDeviceNotOursFor(db, la, caseId, laptop!.id, 'Too late for this'), Conflict);
    view = await getCaseFor(db, la, caseId, 72);
    const texts = view.timeline.map((e) => e.text);
    for (const re of [/^Marked compromised/, /^Local Administrators notified/, /^The user changed their password/, /^The user set up MFA/, /^Malware scan recorded .*Malware found, not removed/,
      /not ours or not reachable: Personal laptop/, /Malware found and removed/, /^Case closed/]) assert.ok(texts.some((x) => re.test(x)), `${re} in ${texts.join(' | ')}`);
    assert.equal((await audits(db, 'compromise.device.scan')).filter((e) => JSON.parse(e.details).caseId === caseId).length, 2);
    assert.equal((await audits(db, 'compromise.case.close', `account:${v.id}`)).length, 1);
  });

  test('signals raise a suspicion once; the CSOC confirms by marking or dismisses with a note', async () => {
    const { db } = t.handle;
    const v = await victim(db);
    const system: Ctx = { actor: null, via: 'system', ip: null, requestId: null, now: FLAG };
    const signal = { accountId: v.id, source: 'phishing-report', detail: 'Report 123: internal sender' };
    await db.transaction().execute((trx) => raiseSuspectedCompromise(trx, system, signal));
    await db.transaction().execute((trx) => raiseSuspectedCompromise(trx, system, { ...signal, detail: ' Report 123: internal sender ' }));
    await assert.rejects(raiseSuspectedCompromise(db, system, { ...signal, source: 'Phishing Report!' }), Invalid);
    await assert.rejects(raiseSuspectedCompromise(db, system, { ...signal, accountId: randomUUID() }), NotFound);
    assert.equal((await audits(db, 'compromise.suspicion.raise', `account:${v.id}`)).length, 1);
    const account = (await findAccount(db, v.id, { all: true }))!;
    assert.equal(account.compromisedAt, null, 'a suspicion changes nothing on the account');

    const [s] = (await listSuspicionsFor(db, csoc)).filter((x) => x.accountId === v.id);
    await assert.rejects(listSuspicionsFor(db, la), Forbidden);
    const r = await markCompromised(db, csoc, config, { accountId: v.id, reason: 'Confirmed from report 123', evidenceRef: 'PR-123', suspicionId: s!.id });
    const row = await db.selectFrom('compromise_suspicions').selectAll().where('id', '=', s!.id).executeTakeFirstOrThrow();
    assert.deepEqual([row.status, row.case_id], ['confirmed', r.caseId]);

    const w = await victim(db);
    await raiseSuspectedCompromise(db, system, { accountId: w.id, source: 'phishing-report', detail: 'Report 124' });
    const [s2] = (await listSuspicionsFor(db, csoc)).filter((x) => x.accountId === w.id);
    await assert.rejects(dismissSuspicionFor(db, csoc, s2!.id, ''), Invalid);
    await dismissSuspicionFor(db, csoc, s2!.id, 'Reporter forwarded a legitimate newsletter');
    await assert.rejects(dismissSuspicionFor(db, csoc, s2!.id, 'Again and again'), Conflict);
  });

  test('dashboard tasks: LAs get their open cases, the CSOC the review queue and overdue cases', async () => {
    const { db } = t.handle;
    const v = await victim(db);
    const { caseId } = await markCompromised(db, csoc, config, { email: v.email, reason: 'Dashboard test', evidenceRef: 'INC-3' });
    const laTasks = await compromiseTasksFor(db, la, 72);
    assert.ok(laTasks.some((x) => x.href === `/compromise/cases/${caseId}` && /was marked compromised 1 day ago: work the case/.test(x.text)));
    assert.deepEqual(await compromiseTasksFor(db, otherLa, 72), []);
    assert.deepEqual(await compromiseTasksFor(db, helpdesk, 72), []);
    const late = await compromiseTasksFor(db, { ...csoc, now: at(5) }, 72);
    assert.ok(late.some((x) => x.href === '/compromise' && x.urgent));
  });

  test('cases open too long are escalated once, then reminded every interval, each reminder sent once', async () => {
    // Its own database: escalation runs over every open case, and is counted exactly.
    await withOwnDatabase(t.dialect, async ({ db }) => {
      const home = await makeOrganisation(db);
      const csocHere = testCtx(await actorOf(db, (await makeAccount(db, { organisationId: home.id, roles: ['user', 'csoc'] })).id), FLAG);
      await makeAccount(db, { organisationId: home.id, roles: ['user', 'local-admin'] }); // the reminders go to the organisation's LAs
      const v = await makeAccount(db, { organisationId: home.id, displayName: 'Vic Tim' });
      const { caseId } = await markCompromised(db, csocHere, config, { email: v.email, reason: 'Escalation test', evidenceRef: 'INC-99' });
      const sys = (days: number): Ctx => ({ actor: null, via: 'system', ip: null, requestId: null, now: at(days) });
      const reminders = async (): Promise<number> =>
        (await db.selectFrom('notifications').select('id').where('template', '=', 'compromise/case-reminder').where('dedupe_key', 'like', `compromise-reminder:${caseId}:%`).execute()).length;
      assert.deepEqual(await escalateOverdueCases(db, sys(2.9), config), { escalated: 0, reminded: 0 });
      assert.deepEqual(await escalateOverdueCases(db, sys(3.01), config), { escalated: 1, reminded: 0 });
      assert.equal(await reminders(), 1);
      assert.deepEqual(await escalateOverdueCases(db, sys(3.5), config), { escalated: 0, reminded: 0 });
      assert.equal(await reminders(), 1, 'not again before the interval');
      assert.deepEqual(await escalateOverdueCases(db, sys(4.02), config), { escalated: 0, reminded: 1 });
      assert.equal(await reminders(), 2);
      const open = await listCasesFor(db, csocHere, { status: 'open', escalationHours: 72 });
      assert.deepEqual(open.map((c) => [c.id, c.escalatedAt !== null]), [[caseId, true]]);
      const view = await getCaseFor(db, { ...csocHere, now: at(4.1) }, caseId, 72);
      assert.equal(view.overdue, true);
      assert.ok(view.timeline.some((e) => /^Escalated/.test(e.text)) && view.timeline.some((e) => /^Reminder sent/.test(e.text)));
    });
  });
});
