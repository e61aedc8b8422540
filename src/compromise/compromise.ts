/**
 * Pure rules of compromised-account cases: what marking needs, the checklist the system
 * computes (never ticked by hand), device-check input, escalation timing and ages in
 * words. No database, no clock: `now` is passed in.
 */

import type { DeviceUse } from '../signin/history.js';

/** How far back from the flag the devices to scan are taken. */
export const DEVICE_LOOKBACK_DAYS = 30;
export const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export const SCAN_RESULTS = ['clean', 'cleaned', 'infected'] as const;
export type ScanResult = (typeof SCAN_RESULTS)[number];

export const SCAN_RESULT_TEXT: Record<ScanResult, string> = {
  clean: 'No malware found',
  cleaned: 'Malware found and removed',
  infected: 'Malware found, not removed',
};

export interface DeviceCheck {
  id: string;
  kind: 'scan' | 'not-ours';
  scannedBy: string | null;
  tool: string | null;
  result: ScanResult | null;
  scannedOn: string | null;
  reason: string | null;
  recordedBy: string;
  recordedAt: string;
}

/** A device from sign-in history (30 days before the flag), with the checks recorded for it. */
export interface CaseDevice extends DeviceUse {
  id: string;
  /** Oldest first. */
  checks: DeviceCheck[];
}

export interface FactorState {
  status: 'pending' | 'active';
  createdAt: string;
  lastUsedAt: string | null;
}

export interface ChecklistInput {
  flaggedAt: string;
  passwordChangedAt: string | null;
  mustChangePassword: boolean;
  factors: readonly FactorState[];
  devices: readonly CaseDevice[];
}

export interface DeviceStatus {
  deviceId: string;
  done: boolean;
  /** The check that decides the device's state (the latest one), if any. */
  latest: DeviceCheck | null;
  text: string;
}

export interface Checklist {
  password: { done: boolean; text: string };
  mfa: { done: boolean; enrolled: boolean; text: string };
  devices: { done: boolean; text: string; items: DeviceStatus[] };
  complete: boolean;
  /** What is still to do, in plain words (empty when complete). */
  remaining: string[];
}

/** The state of one device: done when its latest record is a clean scan (or cleaned), or "not ours" with a reason. */
export function deviceStatus(d: CaseDevice): DeviceStatus {
  const latest = d.checks.length ? d.checks[d.checks.length - 1]! : null;
  if (!latest) return { deviceId: d.id, done: false, latest, text: 'No malware scan recorded yet' };
  if (latest.kind === 'not-ours') return { deviceId: d.id, done: true, latest, text: `Not ours or not reachable: ${latest.reason ?? ''}` };
  const result = latest.result ?? 'infected';
  const done = result === 'clean' || result === 'cleaned';
  const text = `${SCAN_RESULT_TEXT[result]} (${latest.tool ?? 'unknown tool'}, scanned by ${latest.scannedBy ?? 'unknown'} on ${latest.scannedOn ?? 'unknown date'})`;
  return { deviceId: d.id, done, latest, text: done ? text : `${text}: clean the device and record a new scan` };
}

/**
 * The case checklist, computed from the account's state: (1) the password was changed
 * after the flag and no change is still pending, (2) the account has an active MFA factor
 * that was used after the flag (confirming an enrolment counts as a use), (3) every device
 * that signed in during the 30 days before the flag has a clean scan or a "not ours" record.
 */
export function computeChecklist(input: ChecklistInput): Checklist {
  const passwordDone = input.passwordChangedAt !== null && input.passwordChangedAt > input.flaggedAt && !input.mustChangePassword;
  const active = input.factors.filter((f) => f.status === 'active');
  const used = active.some((f) => f.lastUsedAt !== null && f.lastUsedAt > input.flaggedAt);
  const items = input.devices.map(deviceStatus);
  const devicesDone = items.every((i) => i.done);
  const open = items.filter((i) => !i.done).length;
  const checklist: Checklist = {
    password: {
      done: passwordDone,
      text: passwordDone
        ? `Password changed ${formatWhen(input.passwordChangedAt!)}`
        : input.passwordChangedAt !== null && input.passwordChangedAt > input.flaggedAt
          ? 'A temporary password was set; the user has not yet chosen their own'
          : 'The user has not changed their password since the flag',
    },
    mfa: {
      done: active.length > 0 && used,
      enrolled: active.length > 0,
      text: active.length === 0
        ? 'No MFA factor is set up yet'
        : used ? 'MFA is set up and has been used since the flag' : 'MFA is set up but has not been used since the flag',
    },
    devices: {
      done: devicesDone,
      text: items.length === 0
        ? `No device signed in during the ${DEVICE_LOOKBACK_DAYS} days before the flag`
        : devicesDone ? `All ${items.length} device${items.length === 1 ? '' : 's'} dealt with` : `${open} of ${items.length} device${items.length === 1 ? '' : 's'} still need a malware scan record`,
      items,
    },
    complete: false,
    remaining: [],
  };
  if (!checklist.password.done) checklist.remaining.push('the user must change their password');
  if (!checklist.mfa.done) checklist.remaining.push(checklist.mfa.enrolled ? 'the user must sign in with MFA' : 'the user must set up MFA');
  if (!devicesDone) checklist.remaining.push(`${open} device${open === 1 ? '' : 's'} need${open === 1 ? 's' : ''} a malware scan record`);
  checklist.complete = checklist.remaining.length === 0;
  return checklist;
}

const CONTROL = /[\u0000-\u001f\u007f]/;

function text(value: string, label: string, min: number, max: number, problems: string[]): string {
  const v = value.trim();
  if (v.length < min) problems.push(min <= 1 ? `Enter ${label}.` : `Enter ${label} (at least ${min} characters).`);
  else if (v.length > max) problems.push(`${capitalise(label)} must be ${max} characters or fewer.`);
  else if (CONTROL.test(v)) problems.push(`Remove control characters from ${label}.`);
  return v;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export interface MarkInput {
  reason: string;
  evidenceRef: string;
}

/** Problems with a mark's reason and evidence reference (both required), and the trimmed values. */
export function checkMarkInput(input: MarkInput): { value: MarkInput; problems: string[] } {
  const problems: string[] = [];
  const reason = text(input.reason, 'a reason', 1, 500, problems);
  const evidenceRef = text(input.evidenceRef, 'an evidence reference', 1, 200, problems);
  return { value: { reason, evidenceRef }, problems };
}

export interface ScanInput {
  scannedBy: string;
  tool: string;
  result: string;
  scannedOn: string;
}

/**
 * Problems with a malware-scan record: who, tool, result and date are required; the date
 * must be a real day from the day of the flag to today (a scan before the flag proves nothing).
 */
export function checkScanInput(input: ScanInput, flaggedAt: string, now: Date): { value: ScanInput & { result: ScanResult }; problems: string[] } {
  const problems: string[] = [];
  const scannedBy = text(input.scannedBy, 'who scanned the device', 1, 200, problems);
  const tool = text(input.tool, 'the scanning tool', 1, 200, problems);
  const result = (SCAN_RESULTS as readonly string[]).includes(input.result) ? (input.result as ScanResult) : null;
  if (!result) problems.push('Choose the result of the scan.');
  const day = input.scannedOn.trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  const valid = m !== null && new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) === day;
  if (!day) problems.push('Enter the date of the scan.');
  else if (!valid) problems.push('Enter the date of the scan as a real date, for example 2026-03-14.');
  else if (day < flaggedAt.slice(0, 10)) problems.push(`The scan must be on or after ${flaggedAt.slice(0, 10)}, the day the account was flagged.`);
  else if (day > now.toISOString().slice(0, 10)) problems.push('The date of the scan cannot be in the future.');
  return { value: { scannedBy, tool, result: result ?? 'infected', scannedOn: day }, problems };
}

/** Problems with a "not ours / not reachable" record: a reason of at least 5 characters is required. */
export function checkNotOursInput(reason: string): { value: string; problems: string[] } {
  const problems: string[] = [];
  const value = text(reason, 'why the device is not ours or cannot be reached', 5, 500, problems);
  return { value, problems };
}

/** Problems with a dismissal note for a suspicion. */
export function checkDismissInput(note: string): { value: string; problems: string[] } {
  const problems: string[] = [];
  const value = text(note, 'why the suspicion is dismissed', 5, 500, problems);
  return { value, problems };
}

export interface EscalationState {
  flaggedAt: string;
  escalatedAt: string | null;
  lastReminderAt: string | null;
}

/** Whether an open case is older than the escalation age. */
export function isOverdue(flaggedAt: string, now: Date, escalationHours: number): boolean {
  return now.getTime() - Date.parse(flaggedAt) >= escalationHours * HOUR_MS;
}

/**
 * Whether the escalation job should act on an open case now: the first time it passes the
 * escalation age, then every `reminderHours` after the last reminder.
 */
export function reminderDue(c: EscalationState, now: Date, escalationHours: number, reminderHours: number): boolean {
  if (!isOverdue(c.flaggedAt, now, escalationHours)) return false;
  if (!c.escalatedAt || !c.lastReminderAt) return true;
  return now.getTime() - Date.parse(c.lastReminderAt) >= reminderHours * HOUR_MS;
}

/** An age in words: "3 days 4 hours", "5 hours", "12 minutes". */
export function ageText(from: string, now: Date): string {
  const ms = Math.max(0, now.getTime() - Date.parse(from));
  const days = Math.floor(ms / DAY_MS);
  const hours = Math.floor((ms % DAY_MS) / HOUR_MS);
  const minutes = Math.floor((ms % HOUR_MS) / 60_000);
  const plural = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (days > 0) return hours > 0 ? `${plural(days, 'day')} ${plural(hours, 'hour')}` : plural(days, 'day');
  if (hours > 0) return plural(hours, 'hour');
  return plural(minutes, 'minute');
}

/** "2026-11-30 14:05 UTC" from an ISO timestamp. */
export function formatWhen(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

/** The start of the device window: 30 days before the flag. */
export function deviceWindowStart(flaggedAt: Date): Date {
  return new Date(flaggedAt.getTime() - DEVICE_LOOKBACK_DAYS * DAY_MS);
}

export interface TimelineEntry {
  at: string;
  actor: string;
  text: string;
}

/** The words of a stored timeline event. */
export function timelineText(kind: string, details: Record<string, unknown>): string {
  const s = (k: string): string => String(details[k] ?? '');
  switch (kind) {
    case 'opened': return `Marked compromised: ${s('reason')} (evidence: ${s('evidenceRef')}). ${s('sessions')} session(s) ended, ${s('tokens')} API token(s) revoked; password change and MFA required.`
      + (details.passwordInvalidated ? ' The old password no longer works: the user needs a verified reset by the helpdesk.' : '');
    case 'notified': return `Local Administrators notified: ${s('recipients') || 'none (the organisation has no Local Administrator)'}`;
    case 'device-scan': return `Malware scan recorded for ${s('device')}: ${SCAN_RESULT_TEXT[s('result') as ScanResult] ?? s('result')} (${s('tool')}, by ${s('scannedBy')} on ${s('scannedOn')})`;
    case 'device-not-ours': return `${s('device')} recorded as not ours or not reachable: ${s('reason')}`;
    case 'escalated': return `Escalated: open for more than ${s('hours')} hours; reminder sent to the Local Administrators`;
    case 'reminder': return 'Reminder sent to the Local Administrators';
    case 'closed': return 'Case closed: every check done. The account must keep using MFA.';
    case 'password-changed': return 'The user changed their password';
    case 'mfa-enrolled': return `The user set up MFA (${s('factor')})`;
    case 'mfa-used': return 'The user signed in with MFA';
    default: return kind;
  }
}
