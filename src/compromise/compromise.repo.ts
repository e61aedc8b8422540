import type { Selectable } from 'kysely';
import type { OrgScope } from '../directory/directory.policy.js';
import type { Db } from '../platform/db/db.js';
import type { CaseDevice, DeviceCheck, ScanResult } from './compromise.js';
import type { CompromiseCaseTable, CompromiseSuspicionTable } from './compromise.tables.js';

/** The only SQL of compromised accounts. Every list that returns organisation data takes a scope. */

export interface CaseRow {
  id: string;
  accountId: string;
  organisationId: string;
  status: 'open' | 'closed';
  flaggedAt: string;
  reason: string;
  evidenceRef: string;
  openedBy: string;
  suspicionId: string | null;
  closedAt: string | null;
  closedBy: string | null;
  escalatedAt: string | null;
  lastReminderAt: string | null;
  reminders: number;
}

export interface CaseListRow extends CaseRow {
  email: string;
  displayName: string;
  organisationName: string;
}

function toCase(r: Selectable<CompromiseCaseTable>): CaseRow {
  return {
    id: r.id, accountId: r.account_id, organisationId: r.organisation_id, status: r.status, flaggedAt: r.flagged_at, reason: r.reason,
    evidenceRef: r.evidence_ref, openedBy: r.opened_by, suspicionId: r.suspicion_id, closedAt: r.closed_at, closedBy: r.closed_by,
    escalatedAt: r.escalated_at, lastReminderAt: r.last_reminder_at, reminders: Number(r.reminders),
  };
}

function scoped<Q>(q: Q, column: string, scope: OrgScope): Q {
  if (scope.all) return q;
  const ids = scope.organisationIds.length ? [...scope.organisationIds] : ['(none)'];
  return (q as unknown as { where(c: string, op: 'in', v: string[]): Q }).where(column, 'in', ids);
}

// Suspicions

export type SuspicionRow = Selectable<CompromiseSuspicionTable>;

/** Inserts a suspicion unless the same (account, source, detail) exists. @returns whether it was new */
export async function insertSuspicion(trx: Db, row: SuspicionRow): Promise<boolean> {
  const r = await trx
    .insertInto('compromise_suspicions')
    .values(row)
    .onConflict((oc) => oc.columns(['account_id', 'source', 'detail']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function findSuspicion(db: Db, id: string): Promise<SuspicionRow | undefined> {
  return db.selectFrom('compromise_suspicions').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Open suspicions, oldest first, with the account's address (CSOC review queue: platform-wide). */
export async function listOpenSuspicions(db: Db, limit: number): Promise<(SuspicionRow & { email: string; compromised_at: string | null })[]> {
  return db
    .selectFrom('compromise_suspicions as s')
    .innerJoin('accounts as a', 'a.id', 's.account_id')
    .selectAll('s')
    .select(['a.email', 'a.compromised_at'])
    .where('s.status', '=', 'open')
    .orderBy('s.raised_at')
    .limit(limit)
    .execute();
}

export async function countOpenSuspicions(db: Db): Promise<number> {
  const r = await db.selectFrom('compromise_suspicions').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'open').executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Closes an open suspicion. @returns false when it was no longer open (someone else reviewed it) */
export async function reviewSuspicion(
  trx: Db, id: string, r: { status: 'confirmed' | 'dismissed'; reviewedBy: string; at: string; note: string | null; caseId: string | null },
): Promise<boolean> {
  const u = await trx
    .updateTable('compromise_suspicions')
    .set({ status: r.status, reviewed_by: r.reviewedBy, reviewed_at: r.at, review_note: r.note, case_id: r.caseId })
    .where('id', '=', id)
    .where('status', '=', 'open')
    .executeTakeFirst();
  return Number(u.numUpdatedRows) === 1;
}

/** Confirms every open suspicion of an account (it has just been marked compromised). @returns how many */
export async function confirmOpenSuspicionsOf(trx: Db, accountId: string, r: { reviewedBy: string; at: string; caseId: string }): Promise<number> {
  const u = await trx
    .updateTable('compromise_suspicions')
    .set({ status: 'confirmed', reviewed_by: r.reviewedBy, reviewed_at: r.at, review_note: 'account marked compromised', case_id: r.caseId })
    .where('account_id', '=', accountId)
    .where('status', '=', 'open')
    .executeTakeFirst();
  return Number(u.numUpdatedRows);
}

// Cases

export async function insertCase(trx: Db, row: Selectable<CompromiseCaseTable>): Promise<void> {
  await trx.insertInto('compromise_cases').values(row).execute();
}

export async function findCase(db: Db, id: string): Promise<CaseRow | undefined> {
  const r = await db.selectFrom('compromise_cases').selectAll().where('id', '=', id).executeTakeFirst();
  return r && toCase(r);
}

export async function findOpenCaseOfAccount(db: Db, accountId: string): Promise<CaseRow | undefined> {
  const r = await db.selectFrom('compromise_cases').selectAll().where('account_id', '=', accountId).where('status', '=', 'open').executeTakeFirst();
  return r && toCase(r);
}

/** Cases in scope with the account and organisation names; open ones oldest first, closed ones newest first. */
export async function listCases(db: Db, scope: OrgScope, q: { status: 'open' | 'closed'; organisationId?: string; limit: number }): Promise<CaseListRow[]> {
  let query = scoped(
    db
      .selectFrom('compromise_cases as c')
      .innerJoin('accounts as a', 'a.id', 'c.account_id')
      .innerJoin('organisations as o', 'o.id', 'c.organisation_id')
      .selectAll('c')
      .select(['a.email', 'a.display_name', 'o.name as organisation_name'])
      .where('c.status', '=', q.status),
    'c.organisation_id',
    scope,
  );
  if (q.organisationId) query = query.where('c.organisation_id', '=', q.organisationId);
  query = q.status === 'open' ? query.orderBy('c.flagged_at').orderBy('c.id') : query.orderBy('c.closed_at', 'desc').orderBy('c.id');
  const rows = await query.limit(q.limit).execute();
  return rows.map((r) => ({ ...toCase(r), email: r.email, displayName: r.display_name, organisationName: r.organisation_name }));
}

/** Closes an open case. @returns false when it was already closed */
export async function closeCase(trx: Db, id: string, closedBy: string, at: string): Promise<boolean> {
  const r = await trx.updateTable('compromise_cases').set({ status: 'closed', closed_at: at, closed_by: closedBy }).where('id', '=', id).where('status', '=', 'open').executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Open cases flagged at or before `cutoff` (old enough to escalate), oldest first, after the keyset `after`. */
export async function listOverdueCases(db: Db, cutoff: string, limit: number, after?: { flaggedAt: string; id: string }): Promise<CaseRow[]> {
  let q = db.selectFrom('compromise_cases').selectAll().where('status', '=', 'open').where('flagged_at', '<=', cutoff);
  if (after) q = q.where((eb) => eb.or([eb('flagged_at', '>', after.flaggedAt), eb.and([eb('flagged_at', '=', after.flaggedAt), eb('id', '>', after.id)])]));
  const rows = await q.orderBy('flagged_at').orderBy('id').limit(limit).execute();
  return rows.map(toCase);
}

/**
 * Records a reminder if nobody else has since `expectedLast` (a compare-and-set, so
 * several nodes running the job send each reminder once). @returns whether this call won
 */
export async function claimReminder(trx: Db, id: string, expectedLast: string | null, at: string): Promise<boolean> {
  let q = trx
    .updateTable('compromise_cases')
    .set((eb) => ({ last_reminder_at: at, reminders: eb('reminders', '+', 1), escalated_at: eb.fn.coalesce('escalated_at', eb.val(at)) }))
    .where('id', '=', id)
    .where('status', '=', 'open');
  q = expectedLast === null ? q.where('last_reminder_at', 'is', null) : q.where('last_reminder_at', '=', expectedLast);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

// Accounts

/** Flags the account: compromised now, password change required. MFA follows from compromised_at. */
export async function flagAccountCompromised(trx: Db, accountId: string, at: string): Promise<void> {
  await trx.updateTable('accounts').set({ compromised_at: at, must_change_password: 1, updated_at: at }).where('id', '=', accountId).execute();
}

/**
 * Makes the current password useless (no password until a verified reset by the
 * helpdesk): for when whoever compromised the account may know it and could otherwise
 * sign in and enrol their own MFA first.
 */
export async function invalidatePassword(trx: Db, accountId: string, at: string): Promise<void> {
  await trx.updateTable('accounts').set({ password_hash: null, must_change_password: 1, updated_at: at }).where('id', '=', accountId).execute();
}

/** Lifts the flag when the case closes; the account stays marked as requiring MFA. */
export async function clearAccountCompromised(trx: Db, accountId: string, at: string): Promise<void> {
  await trx.updateTable('accounts').set({ compromised_at: null, mfa_required: 1, updated_at: at }).where('id', '=', accountId).execute();
}

/** The first successful second-factor sign-in step after `after`, if any. */
export async function firstMfaUseAfter(db: Db, accountId: string, after: string): Promise<string | undefined> {
  const r = await db
    .selectFrom('signin_events')
    .select('at')
    .where('account_id', '=', accountId)
    .where('at', '>', after)
    .where('outcome', '=', 'success')
    .where('step', 'in', ['totp', 'webauthn'])
    .orderBy('at')
    .limit(1)
    .executeTakeFirst();
  return r?.at;
}

// Devices, checks, timeline

export async function insertCaseDevices(trx: Db, caseId: string, devices: readonly Omit<CaseDevice, 'checks'>[]): Promise<void> {
  if (!devices.length) return;
  await trx
    .insertInto('compromise_case_devices')
    .values(devices.map((d) => ({
      id: d.id, case_id: caseId, device_id: d.deviceId, user_agent: d.userAgent.slice(0, 500), ips: JSON.stringify(d.ips),
      first_seen: d.firstSeen, last_seen: d.lastSeen, sign_ins: d.signIns,
    })))
    .execute();
}

/** The case's devices with their checks (oldest first), most recently seen device first. */
export async function listCaseDevices(db: Db, caseId: string): Promise<CaseDevice[]> {
  const devices = await db.selectFrom('compromise_case_devices').selectAll().where('case_id', '=', caseId).orderBy('last_seen', 'desc').orderBy('id').execute();
  const checks = await db.selectFrom('compromise_device_checks').selectAll().where('case_id', '=', caseId).orderBy('recorded_at').orderBy('id').execute();
  return devices.map((d) => ({
    id: d.id, deviceId: d.device_id, userAgent: d.user_agent, ips: JSON.parse(d.ips) as string[], firstSeen: d.first_seen, lastSeen: d.last_seen,
    signIns: Number(d.sign_ins),
    checks: checks.filter((c) => c.case_device_id === d.id).map((c): DeviceCheck => ({
      id: c.id, kind: c.kind, scannedBy: c.scanned_by, tool: c.tool, result: c.result as ScanResult | null, scannedOn: c.scanned_on,
      reason: c.reason, recordedBy: c.recorded_by, recordedAt: c.recorded_at,
    })),
  }));
}

export interface DeviceCheckInsert extends DeviceCheck {
  caseId: string;
  caseDeviceId: string;
  recordedById: string | null;
}

export async function insertDeviceCheck(trx: Db, c: DeviceCheckInsert): Promise<void> {
  await trx
    .insertInto('compromise_device_checks')
    .values({
      id: c.id, case_id: c.caseId, case_device_id: c.caseDeviceId, kind: c.kind, scanned_by: c.scannedBy, tool: c.tool, result: c.result,
      scanned_on: c.scannedOn, reason: c.reason, recorded_by_id: c.recordedById, recorded_by: c.recordedBy, recorded_at: c.recordedAt,
    })
    .execute();
}

export async function insertCaseEvent(trx: Db, e: { id: string; caseId: string; at: string; kind: string; actor: string; details: Record<string, unknown> }): Promise<void> {
  await trx.insertInto('compromise_case_events').values({ id: e.id, case_id: e.caseId, at: e.at, kind: e.kind, actor: e.actor, details: JSON.stringify(e.details) }).execute();
}

export async function listCaseEvents(db: Db, caseId: string): Promise<{ at: string; kind: string; actor: string; details: Record<string, unknown> }[]> {
  const rows = await db.selectFrom('compromise_case_events').select(['at', 'kind', 'actor', 'details']).where('case_id', '=', caseId).orderBy('at').orderBy('id').execute();
  return rows.map((r) => ({ at: r.at, kind: r.kind, actor: r.actor, details: JSON.parse(r.details) as Record<string, unknown> }));
}
