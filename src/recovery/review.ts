import { csvLine } from '../platform/csv.js';

/**
 * Pure rules of the reset review: the period an LA chooses, and the flags that make a
 * reset worth a second look. No I/O, no clock.
 */

export type ResetFlag = 'after-failures' | 'high-risk' | 'privileged' | 'unusual-volume' | 'outside-hours';

export const FLAG_TEXT: Record<ResetFlag, string> = {
  'after-failures': 'after failed verifications',
  'high-risk': 'high-risk business area',
  privileged: 'privileged account',
  'unusual-volume': 'agent with unusual volume',
  'outside-hours': 'outside working hours',
};

export const CHANNEL_TEXT: Record<string, string> = { helpdesk: 'Helpdesk', la: 'Local Administrator', 'self-service': 'Self-service' };
export const SECOND_FACTOR_TEXT: Record<string, string> = { totp: 'Authenticator app code', sms: 'Code by text message', none: 'None (questions only)' };

/** One reset as the review shows it. */
export interface ResetRecord {
  id: string;
  at: string;
  accountId: string;
  accountEmail: string;
  accountName: string;
  channel: 'helpdesk' | 'la' | 'self-service';
  agentId: string | null;
  agentEmail: string | null;
  agentName: string | null;
  agentOrganisationName: string | null;
  verificationId: string;
  failedBefore: number;
  secondFactor: 'totp' | 'sms' | 'none';
  delivery: 'shown' | 'sms';
  ticket: string | null;
  privileged: boolean;
  highRisk: boolean;
}

export interface FlaggedReset extends ResetRecord {
  flags: ResetFlag[];
  /** The challenge outcome in words: "Passed" or "Passed after 2 failed". */
  outcome: string;
}

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

export interface WorkingHours {
  /** 0 = Monday … 6 = Sunday, inclusive range (may wrap, e.g. Sat-Sun). */
  fromDay: number;
  toDay: number;
  /** Minutes after midnight: from inclusive, to exclusive. */
  fromMinute: number;
  toMinute: number;
  timeZone: string;
}

/** Parses `Mon-Fri 08:00-18:00` (the configuration schema has checked its shape). */
export function parseWorkingHours(spec: string, timeZone: string): WorkingHours {
  const m = /^(\w{3})-(\w{3}) (\d\d):(\d\d)-(\d\d):(\d\d)$/.exec(spec);
  if (!m) throw new Error(`working hours "${spec}" must look like Mon-Fri 08:00-18:00`);
  return { fromDay: DAYS.indexOf(m[1]!), toDay: DAYS.indexOf(m[2]!), fromMinute: Number(m[3]) * 60 + Number(m[4]), toMinute: Number(m[5]) * 60 + Number(m[6]), timeZone };
}

/** The weekday (0 = Monday), minute of day and calendar date of an instant in a time zone. */
export function localTime(at: Date, timeZone: string): { day: number; minute: number; date: string } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(at);
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '';
  return { day: DAYS.indexOf(get('weekday')), minute: Number(get('hour')) * 60 + Number(get('minute')), date: `${get('year')}-${get('month')}-${get('day')}` };
}

export function isOutsideHours(at: Date, wh: WorkingHours): boolean {
  const { day, minute } = localTime(at, wh.timeZone);
  const dayIn = wh.fromDay <= wh.toDay ? day >= wh.fromDay && day <= wh.toDay : day >= wh.fromDay || day <= wh.toDay;
  return !dayIn || minute < wh.fromMinute || minute >= wh.toMinute;
}

/**
 * Flags each reset: after failed verifications, of a high-risk or privileged account,
 * outside working hours, or by an agent who made more than `unusualPerDay` resets in this
 * organisation on one (local) day.
 */
export function flagResets(rows: readonly ResetRecord[], opts: { workingHours: WorkingHours; unusualPerDay: number }): FlaggedReset[] {
  const perAgentDay = new Map<string, number>();
  const keyOf = (r: ResetRecord): string | null => (r.agentId ? `${r.agentId}|${localTime(new Date(r.at), opts.workingHours.timeZone).date}` : null);
  for (const r of rows) {
    const k = keyOf(r);
    if (k) perAgentDay.set(k, (perAgentDay.get(k) ?? 0) + 1);
  }
  return rows.map((r) => {
    const flags: ResetFlag[] = [];
    if (r.failedBefore > 0) flags.push('after-failures');
    if (r.highRisk) flags.push('high-risk');
    if (r.privileged) flags.push('privileged');
    const k = keyOf(r);
    if (k && (perAgentDay.get(k) ?? 0) > opts.unusualPerDay) flags.push('unusual-volume');
    if (isOutsideHours(new Date(r.at), opts.workingHours)) flags.push('outside-hours');
    return { ...r, flags, outcome: r.failedBefore > 0 ? `Passed after ${r.failedBefore} failed` : 'Passed' };
  });
}

export interface Period {
  /** Inclusive dates, YYYY-MM-DD (UTC). */
  from: string;
  to: string;
  /** ISO instants: start inclusive, end exclusive. */
  startIso: string;
  endIso: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function validDate(s: string): boolean {
  return DATE.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);
}

/**
 * The review period from form values (dates in UTC, both inclusive). Defaults: the last
 * `defaultDays` days up to today. @returns the period, or the problems with the input
 */
export function parsePeriod(from: string | undefined, to: string | undefined, now: Date, defaultDays: number): { period: Period } | { problems: string[] } {
  const today = now.toISOString().slice(0, 10);
  const f = from?.trim() || new Date(now.getTime() - (defaultDays - 1) * 86_400_000).toISOString().slice(0, 10);
  const t = to?.trim() || today;
  const problems: string[] = [];
  if (!validDate(f)) problems.push('Enter the start of the period as a date, for example 2026-01-31.');
  if (!validDate(t)) problems.push('Enter the end of the period as a date, for example 2026-03-31.');
  if (problems.length) return { problems };
  if (f > t) return { problems: ['The start of the period must be on or before its end.'] };
  if (Date.parse(`${t}T00:00:00Z`) - Date.parse(`${f}T00:00:00Z`) > 3 * 366 * 86_400_000) return { problems: ['Choose a period of at most 3 years.'] };
  const end = new Date(Date.parse(`${t}T00:00:00Z`) + 86_400_000).toISOString();
  return { period: { from: f, to: t, startIso: `${f}T00:00:00.000Z`, endIso: end } };
}

/** Whether a review is due: never reviewed, or the last one is older than the interval. */
export function reviewDue(lastAt: string | null, now: Date, intervalDays: number): { due: boolean; daysSince: number | null } {
  if (!lastAt) return { due: true, daysSince: null };
  const daysSince = Math.floor((now.getTime() - Date.parse(lastAt)) / 86_400_000);
  return { due: daysSince >= intervalDays, daysSince };
}

export const REVIEW_CSV_HEADER = [
  'when', 'account_email', 'account_name', 'channel', 'agent_email', 'agent_name', 'agent_organisation', 'challenge_outcome', 'second_factor', 'delivery', 'ticket', 'flags',
];

/** One CSV line of the review (formula-defused by csvLine). */
export function reviewCsvLine(x: FlaggedReset): string {
  return csvLine([
    x.at, x.accountEmail, x.accountName, x.channel, x.agentEmail, x.agentName, x.agentOrganisationName, x.outcome, x.secondFactor, x.delivery, x.ticket, x.flags.join(';'),
  ]);
}
