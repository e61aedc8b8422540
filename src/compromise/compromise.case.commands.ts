import { recordAudit } from '../audit/audit.commands.js';
import type { Account, Organisation } from '../directory/directory.js';
import { getOrganisationFor } from '../directory/directory.commands.js';
import { findAccount, findOrganisation } from '../directory/directory.repo.js';
import { factorsOf } from '../mfa/mfa.repo.js';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { Conflict, Invalid, NotFound } from '../platform/errors/errors.js';
import { newId } from '../platform/ids.js';
import { describeUserAgent, shortDeviceId } from '../signin/history.js';
import {
  ageText, type CaseDevice, type Checklist, checkNotOursInput, checkScanInput, computeChecklist, type DeviceStatus, formatWhen, isOverdue,
  type ScanInput, timelineText, type TimelineEntry,
} from './compromise.js';
import { authorizeCase, authorizeCaseList, canMarkCompromised, caseScope } from './compromise.policy.js';
import {
  type CaseListRow, type CaseRow, clearAccountCompromised, closeCase, findCase, findOpenCaseOfAccount, firstMfaUseAfter, insertCaseEvent,
  insertDeviceCheck, listCaseDevices, listCaseEvents, listCases,
} from './compromise.repo.js';
import { actorLabel } from './compromise.signals.js';

export interface CaseSummary extends CaseListRow {
  age: string;
  overdue: boolean;
}

/**
 * Cases the actor may see (CSOC and platform admins: all; LAs: their organisations), open
 * ones oldest first with their age and whether they are past the escalation age.
 * @throws Forbidden when the actor may see no cases; NotFound for an organisation out of scope
 */
export async function listCasesFor(
  db: Db, ctx: Ctx, q: { status: 'open' | 'closed'; organisationId?: string; escalationHours: number; limit?: number },
): Promise<CaseSummary[]> {
  const scope = authorizeCaseList(ctx.actor);
  if (q.organisationId) authorizeCase(ctx.actor, q.organisationId);
  const rows = await listCases(db, scope, { status: q.status, organisationId: q.organisationId, limit: Math.min(Math.max(q.limit ?? 200, 1), 1000) });
  return rows.map((r) => ({ ...r, age: ageText(r.flaggedAt, ctx.now), overdue: r.status === 'open' && isOverdue(r.flaggedAt, ctx.now, q.escalationHours) }));
}

/**
 * The cases page: the cases (as listCasesFor), the organisation they are filtered to, and
 * whether the actor may mark an account compromised from it.
 * @throws Forbidden, NotFound (as listCasesFor)
 */
export async function casesPageFor(
  db: Db, ctx: Ctx, q: { status: 'open' | 'closed'; organisationId?: string; escalationHours: number },
): Promise<{ cases: CaseSummary[]; organisation: Organisation | undefined; canMark: boolean }> {
  const cases = await listCasesFor(db, ctx, q);
  const organisation = q.organisationId ? await getOrganisationFor(db, ctx, q.organisationId) : undefined;
  return { cases, organisation, canMark: canMarkCompromised(ctx.actor) };
}

export interface DeviceView extends CaseDevice {
  label: string;
  browser: string;
  shortId: string;
  status: DeviceStatus;
}

export interface CaseView {
  case: CaseRow;
  account: Account;
  organisationName: string;
  age: string;
  overdue: boolean;
  checklist: Checklist;
  devices: DeviceView[];
  factors: { name: string; kind: string; createdAt: string; lastUsedAt: string; addedBeforeFlag: boolean }[];
  timeline: TimelineEntry[];
}

async function loadCase(db: Db, ctx: Ctx, caseId: string): Promise<{ c: CaseRow; account: Account }> {
  const c = await findCase(db, caseId);
  if (!c) throw new NotFound();
  authorizeCase(ctx.actor, c.organisationId);
  const account = await findAccount(db, c.accountId, { all: true });
  if (!account) throw new NotFound();
  return { c, account };
}

function deviceLabel(d: Pick<CaseDevice, 'deviceId' | 'userAgent'>): string {
  return `${describeUserAgent(d.userAgent)} (device ${shortDeviceId(d.deviceId)})`;
}

async function checklistOf(db: Db, c: CaseRow, account: Account): Promise<{ checklist: Checklist; devices: CaseDevice[]; factors: Awaited<ReturnType<typeof factorsOf>> }> {
  const devices = await listCaseDevices(db, c.id);
  const factors = await factorsOf(db, account.id);
  const checklist = computeChecklist({
    flaggedAt: c.flaggedAt, passwordChangedAt: account.passwordChangedAt, mustChangePassword: account.mustChangePassword, factors, devices,
  });
  return { checklist, devices, factors };
}

/**
 * One case with its computed checklist, devices, MFA factors and timeline (stored steps
 * plus what the system observed: password changed, MFA set up and used).
 * @throws NotFound when absent or outside the actor's scope
 */
export async function getCaseFor(db: Db, ctx: Ctx, caseId: string, escalationHours: number): Promise<CaseView> {
  const { c, account } = await loadCase(db, ctx, caseId);
  const { checklist, devices, factors } = await checklistOf(db, c, account);
  const organisation = await findOrganisation(db, c.organisationId, { all: true });
  const stored = await listCaseEvents(db, c.id);
  const until = c.closedAt ?? '9999';
  const observed: { at: string; actor: string; kind: string; details: Record<string, unknown> }[] = [];
  if (account.passwordChangedAt && account.passwordChangedAt > c.flaggedAt && account.passwordChangedAt <= until && !account.mustChangePassword) {
    observed.push({ at: account.passwordChangedAt, actor: account.email, kind: 'password-changed', details: {} });
  }
  for (const f of factors) {
    if (f.createdAt > c.flaggedAt && f.createdAt <= until) observed.push({ at: f.createdAt, actor: account.email, kind: 'mfa-enrolled', details: { factor: f.name } });
  }
  const used = await firstMfaUseAfter(db, account.id, c.flaggedAt);
  if (used && used <= until) observed.push({ at: used, actor: account.email, kind: 'mfa-used', details: {} });
  // Steps of one moment read in their natural order: opened, notified, …, closed.
  const rank = (kind: string): number => ({ opened: 0, notified: 1, closed: 9 } as Record<string, number>)[kind] ?? 5;
  const timeline = [...stored, ...observed]
    .sort((a, b) => a.at.localeCompare(b.at) || rank(a.kind) - rank(b.kind))
    .map((e) => ({ at: formatWhen(e.at), actor: e.actor, text: timelineText(e.kind, e.details) }));
  const byId = new Map(checklist.devices.items.map((i) => [i.deviceId, i]));
  return {
    case: c, account, organisationName: organisation?.name ?? '', age: ageText(c.flaggedAt, c.closedAt ? new Date(c.closedAt) : ctx.now),
    overdue: c.status === 'open' && isOverdue(c.flaggedAt, ctx.now, escalationHours), checklist,
    devices: devices.map((d) => ({ ...d, label: deviceLabel(d), browser: describeUserAgent(d.userAgent), shortId: shortDeviceId(d.deviceId), status: byId.get(d.id)! })),
    factors: factors.map((f) => ({
      name: f.name, kind: f.kind === 'totp' ? 'Authenticator app' : 'Security key or passkey', createdAt: formatWhen(f.createdAt),
      lastUsedAt: f.lastUsedAt ? formatWhen(f.lastUsedAt) : 'Never', addedBeforeFlag: f.createdAt <= c.flaggedAt,
    })),
    timeline,
  };
}

/** The open case of an account, if the actor may see cases of its organisation (for the account page). */
export async function openCaseOfAccountFor(db: Db, ctx: Ctx, account: Pick<Account, 'id' | 'organisationId'>): Promise<CaseRow | undefined> {
  if (!ctx.actor) return undefined;
  const scope = caseScope(ctx.actor);
  if (!scope.all && !scope.organisationIds.includes(account.organisationId)) return undefined;
  return findOpenCaseOfAccount(db, account.id);
}

/**
 * When a record is written: now, or just after the device's latest record, so that "the
 * latest record decides" holds even for two records within one millisecond.
 */
function recordTime(device: CaseDevice, now: Date): string {
  const latest = device.checks[device.checks.length - 1]?.recordedAt;
  return latest && latest >= now.toISOString() ? new Date(Date.parse(latest) + 1).toISOString() : now.toISOString();
}

async function openDevice(db: Db, ctx: Ctx, caseId: string, deviceRowId: string): Promise<{ c: CaseRow; device: CaseDevice }> {
  const { c } = await loadCase(db, ctx, caseId);
  const device = (await listCaseDevices(db, c.id)).find((d) => d.id === deviceRowId);
  if (!device) throw new NotFound();
  if (c.status !== 'open') throw new Conflict('This case is closed.');
  return { c, device };
}

/** One device of a case, for its page. @throws NotFound */
export async function getCaseDeviceFor(db: Db, ctx: Ctx, caseId: string, deviceRowId: string): Promise<{ case: CaseRow; device: DeviceView; account: Account }> {
  const { c, account } = await loadCase(db, ctx, caseId);
  const { checklist, devices } = await checklistOf(db, c, account);
  const d = devices.find((x) => x.id === deviceRowId);
  if (!d) throw new NotFound();
  const status = checklist.devices.items.find((i) => i.deviceId === d.id)!;
  return { case: c, account, device: { ...d, label: deviceLabel(d), browser: describeUserAgent(d.userAgent), shortId: shortDeviceId(d.deviceId), status } };
}

/**
 * Records a malware scan of a case device (who scanned, tool, result, date), with a
 * timeline step and an audit event. A later record replaces the device's state.
 * @throws NotFound (case or device, or out of scope), Conflict (case closed), Invalid
 */
export async function recordDeviceScanFor(db: Db, ctx: Ctx, caseId: string, deviceRowId: string, input: ScanInput): Promise<void> {
  const { c, device } = await openDevice(db, ctx, caseId, deviceRowId);
  const { value, problems } = checkScanInput(input, c.flaggedAt, ctx.now);
  if (problems.length) throw new Invalid('The scan was not recorded.', problems);
  const now = recordTime(device, ctx.now);
  await db.transaction().execute(async (trx) => {
    await insertDeviceCheck(trx, {
      id: newId(ctx.now.getTime()), caseId: c.id, caseDeviceId: device.id, kind: 'scan', scannedBy: value.scannedBy, tool: value.tool, result: value.result,
      scannedOn: value.scannedOn, reason: null, recordedById: ctx.actor?.accountId ?? null, recordedBy: actorLabel(ctx), recordedAt: now,
    });
    await insertCaseEvent(trx, { id: newId(ctx.now.getTime()), caseId: c.id, at: now, kind: 'device-scan', actor: actorLabel(ctx), details: { device: deviceLabel(device), ...value } });
    await recordAudit(trx, ctx, {
      action: 'compromise.device.scan', organisationId: c.organisationId, target: `account:${c.accountId}`,
      details: { caseId: c.id, deviceId: device.id, tool: value.tool, result: value.result, scannedOn: value.scannedOn, scannedBy: value.scannedBy },
    });
  });
}

/**
 * Records that a case device is not the organisation's or cannot be reached, with the
 * reason (required), a timeline step and an audit event.
 * @throws NotFound, Conflict (case closed), Invalid (no reason)
 */
export async function recordDeviceNotOursFor(db: Db, ctx: Ctx, caseId: string, deviceRowId: string, reason: string): Promise<void> {
  const { c, device } = await openDevice(db, ctx, caseId, deviceRowId);
  const { value, problems } = checkNotOursInput(reason);
  if (problems.length) throw new Invalid('The device was not recorded.', problems);
  const now = recordTime(device, ctx.now);
  await db.transaction().execute(async (trx) => {
    await insertDeviceCheck(trx, {
      id: newId(ctx.now.getTime()), caseId: c.id, caseDeviceId: device.id, kind: 'not-ours', scannedBy: null, tool: null, result: null, scannedOn: null,
      reason: value, recordedById: ctx.actor?.accountId ?? null, recordedBy: actorLabel(ctx), recordedAt: now,
    });
    await insertCaseEvent(trx, { id: newId(ctx.now.getTime()), caseId: c.id, at: now, kind: 'device-not-ours', actor: actorLabel(ctx), details: { device: deviceLabel(device), reason: value } });
    await recordAudit(trx, ctx, {
      action: 'compromise.device.not-ours', organisationId: c.organisationId, target: `account:${c.accountId}`, details: { caseId: c.id, deviceId: device.id, reason: value },
    });
  });
}

/**
 * Closes a case once the system's checklist is complete: the compromised flag is lifted
 * (self-service reset possible again) and the account stays marked as requiring MFA.
 * @throws NotFound, Conflict (already closed), Invalid listing what is still to do
 */
export async function closeCaseFor(db: Db, ctx: Ctx, caseId: string): Promise<void> {
  const { c, account } = await loadCase(db, ctx, caseId);
  if (c.status !== 'open') throw new Conflict('This case is already closed.');
  const { checklist } = await checklistOf(db, c, account);
  if (!checklist.complete) throw new Invalid('The case cannot be closed yet.', checklist.remaining.map((r) => `Still to do: ${r}.`));
  const now = ctx.now.toISOString();
  await db.transaction().execute(async (trx) => {
    if (!(await closeCase(trx, c.id, actorLabel(ctx), now))) throw new Conflict('This case is already closed.');
    await clearAccountCompromised(trx, account.id, now);
    await insertCaseEvent(trx, { id: newId(ctx.now.getTime()), caseId: c.id, at: now, kind: 'closed', actor: actorLabel(ctx), details: {} });
    await recordAudit(trx, ctx, {
      action: 'compromise.case.close', organisationId: c.organisationId, target: `account:${account.id}`,
      details: { caseId: c.id, devices: checklist.devices.items.length, openFor: ageText(c.flaggedAt, ctx.now) },
    });
  });
}
