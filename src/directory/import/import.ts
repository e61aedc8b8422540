/**
 * Pure rules of the directory CSV import: header check, one record → a valid row or a
 * plain reason, and the tally of results. No I/O, no clock: the commands stream the file
 * and talk to the database; everything decidable from the text alone is decided here.
 */
import {
  DEFAULT_HIGH_RISK_AREAS, PRIVILEGED_ROLES, ROLES, type Role, type RoleGrant, isRole, isValidDomain, isValidEmail, normaliseEmail,
} from '../directory.js';
import { DEFAULT_MOBILE_RULE, type MobileRule, normaliseOptionalMobile } from '../../phones/phones.js';

export const ORGANISATION_HEADER = ['code', 'name', 'domains', 'high_risk_areas', 'la_contact'] as const;
export const ACCOUNT_HEADER = ['organisation_code', 'email', 'display_name', 'business_area', 'mobile', 'roles'] as const;

export type RowResult<T> = { ok: true; row: T } | { ok: false; reason: string };

export interface OrganisationRow {
  code: string;
  name: string;
  domains: string[];
  highRiskAreas: string[];
  laContact: string;
}

export interface AccountRow {
  organisationCode: string;
  email: string;
  displayName: string;
  businessArea: string;
  mobile: string | null;
  roles: Role[];
}

export interface RejectedRow {
  line: number;
  reason: string;
}

export interface ImportResult {
  created: number;
  updated: number;
  /** Rows that matched the database already: nothing was written for them. */
  unchanged: number;
  /** The first MAX_KEPT_REJECTIONS rejections, in line order; `rejectedCount` counts all. */
  rejected: RejectedRow[];
  rejectedCount: number;
  /** Data rows read (valid or not), per second of wall time. */
  rowsPerSecond: number;
  durationMs: number;
}

export const MAX_KEPT_REJECTIONS = 1000;

/**
 * How both CSV readers run csv-parse. Records are arrays rather than `columns` objects, so a
 * row with too few or too many fields is visible (and rejected with its line) instead of
 * silently padded or cut; malformed quoting skips the record and carries on.
 */
export const CSV_PARSE_OPTIONS = {
  bom: true, info: true, relax_column_count: true, skip_empty_lines: true, skip_records_with_error: true,
  max_record_size: 64 * 1024, // a stray quote must not swallow the rest of a 200 MB file into memory
} as const;
const MAX_NAME = 200;
const MAX_FREE_TEXT = 500;
const CODE = /^[A-Z0-9]{1,12}$/;
// C0 controls and DEL: never meaningful in a name, and PostgreSQL refuses NUL outright.
const CONTROL = /[\u0000-\u001f\u007f]/;
const CONTROL_EXCEPT_NEWLINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/**
 * Where each expected column sits in the file's header row. Columns are matched by name
 * (trimmed, case-insensitive) in any order; a missing, unknown or repeated column refuses
 * the whole file, and the reason names the header that was expected.
 */
export function mapHeader(expected: readonly string[], found: readonly string[]): RowResult<number[]> {
  const names = found.map((h) => h.trim().toLowerCase());
  const missing = expected.filter((c) => !names.includes(c));
  const unknown = names.filter((n) => !expected.includes(n));
  const repeated = names.filter((n, i) => names.indexOf(n) !== i);
  if (!missing.length && !unknown.length && !repeated.length) return { ok: true, row: expected.map((c) => names.indexOf(c)) };
  const problems = [
    missing.length ? `missing ${missing.join(', ')}` : '',
    unknown.length ? `unexpected ${unknown.map((u) => `"${clip(u)}"`).join(', ')}` : '',
    repeated.length ? `repeated ${[...new Set(repeated)].join(', ')}` : '',
  ].filter(Boolean);
  return { ok: false, reason: `the header row must name the columns ${expected.join(',')} (${problems.join('; ')})` };
}

/** One organisations record (fields in file order, `positions` from mapHeader) → a row or a reason. */
export function parseOrganisationRecord(fields: readonly string[], positions: readonly number[]): RowResult<OrganisationRow> {
  if (fields.length !== positions.length) return { ok: false, reason: fieldCount(fields, positions) };
  const [code, name, domains, areas, laContact] = positions.map((p) => fields[p]!.trim()) as [string, string, string, string, string];
  const upper = code.toUpperCase();
  if (!upper) return { ok: false, reason: 'code is required' };
  if (!CODE.test(upper)) return { ok: false, reason: `code "${clip(code)}" must be 1 to 12 letters or digits` };
  const textProblem = requiredText('name', name, MAX_NAME) ?? requiredText('la_contact', laContact, MAX_FREE_TEXT, CONTROL_EXCEPT_NEWLINES);
  if (textProblem) return { ok: false, reason: textProblem };
  const domainList = splitList(domains.toLowerCase());
  const badDomain = domainList.find((d) => !isValidDomain(d));
  if (badDomain !== undefined) return { ok: false, reason: `domain "${clip(badDomain)}" is not a valid domain name` };
  const areaList = splitList(areas);
  const badArea = areaList.find((a) => a.length > MAX_NAME || CONTROL.test(a));
  if (badArea !== undefined) return { ok: false, reason: `high-risk area "${clip(badArea)}" is too long or contains control characters` };
  return {
    ok: true,
    row: { code: upper, name, domains: domainList, highRiskAreas: areaList.length ? areaList : [...DEFAULT_HIGH_RISK_AREAS], laContact },
  };
}

/**
 * One accounts record → a row or a reason. Whether the organisation exists is not known
 * here: the command checks the code against the organisations it loaded. A mobile number
 * must pass the one UK-mobile rule and is stored in E.164.
 */
export function parseAccountRecord(fields: readonly string[], positions: readonly number[], mobileRule: MobileRule = DEFAULT_MOBILE_RULE): RowResult<AccountRow> {
  if (fields.length !== positions.length) return { ok: false, reason: fieldCount(fields, positions) };
  const [orgCode, rawEmail, displayName, businessArea, mobile, roles] = positions.map((p) => fields[p]!.trim()) as [
    string, string, string, string, string, string,
  ];
  if (!orgCode) return { ok: false, reason: 'organisation_code is required' };
  const email = normaliseEmail(rawEmail);
  if (!email) return { ok: false, reason: 'email is required' };
  if (!isValidEmail(email)) return { ok: false, reason: `email "${clip(rawEmail)}" is not a valid email address` };
  const textProblem = requiredText('display_name', displayName, MAX_NAME);
  if (textProblem) return { ok: false, reason: textProblem };
  if (businessArea.length > MAX_NAME || CONTROL.test(businessArea)) {
    return { ok: false, reason: `business_area is longer than ${MAX_NAME} characters or contains control characters` };
  }
  const phone = normaliseOptionalMobile(mobile, mobileRule);
  if (!phone.ok) return { ok: false, reason: `mobile "${clip(mobile)}": ${phone.message}` };
  const roleList: Role[] = [];
  for (const r of splitList(roles)) {
    const role = r.toLowerCase();
    if (!isRole(role)) return { ok: false, reason: `role "${clip(r)}" is not one of ${ROLES.join(', ')}` };
    if (!roleList.includes(role)) roleList.push(role);
  }
  return {
    ok: true,
    row: { organisationCode: orgCode.toUpperCase(), email, displayName, businessArea, mobile: phone.value, roles: roleList.length ? roleList : ['user'] },
  };
}

/** True when two sets of grants are the same, whatever their order. */
export function sameGrants(a: readonly RoleGrant[], b: readonly RoleGrant[]): boolean {
  if (a.length !== b.length) return false;
  const keys = new Set(a.map(grantKey));
  return b.every((g) => keys.has(grantKey(g)));
}

/**
 * The privileged roles before and after, when they differ (for the `account.role.change`
 * audit event); null when the privileged part of the grants is unchanged. A local-admin
 * moving organisation counts as a change: its scope moved.
 */
export function privilegedRoleChange(before: readonly RoleGrant[], after: readonly RoleGrant[]): { before: string[]; after: string[] } | null {
  const privileged = (gs: readonly RoleGrant[]): RoleGrant[] => gs.filter((g) => PRIVILEGED_ROLES.includes(g.role));
  const b = privileged(before);
  const a = privileged(after);
  if (sameGrants(b, a)) return null;
  return { before: b.map((g) => g.role).sort(), after: a.map((g) => g.role).sort() };
}

/** Counts results and keeps a bounded list of rejections, so a file of garbage cannot exhaust memory. */
export class ImportTally {
  created = 0;
  updated = 0;
  unchanged = 0;
  rows = 0;
  rejectedCount = 0;
  private readonly kept: RejectedRow[] = [];

  reject(line: number, reason: string): void {
    this.rejectedCount++;
    if (this.kept.length < MAX_KEPT_REJECTIONS) this.kept.push({ line, reason });
  }

  /** The result, given the wall time the caller measured. */
  result(durationMs: number): ImportResult {
    return {
      created: this.created, updated: this.updated, unchanged: this.unchanged,
      rejected: [...this.kept].sort((x, y) => x.line - y.line), rejectedCount: this.rejectedCount,
      rowsPerSecond: durationMs > 0 ? Math.round((this.rows * 1000) / durationMs) : 0,
      durationMs: Math.round(durationMs),
    };
  }
}

/**
 * Source line numbers for csv-parse records. csv-parse reports the line a record *ends*
 * on, and counts a CRLF inside a quoted field as two lines (each one after it drifts by
 * one). This undoes both, from the field text alone: fields are passed untrimmed.
 */
export class LineTracker {
  private overcount = 0;

  /** The line the record starts on, given csv-parse's `info.lines` for it. Call once per record, in order. */
  startOf(fields: readonly string[], reportedEndLine: number): number {
    let breaks = 0;
    for (const f of fields) {
      if (f.indexOf('\n') === -1 && f.indexOf('\r') === -1) continue;
      for (let i = 0; i < f.length; i++) {
        const c = f.charCodeAt(i);
        if (c === 13 && f.charCodeAt(i + 1) === 10) {
          this.overcount++;
          breaks++;
          i++;
        } else if (c === 10 || c === 13) breaks++;
      }
    }
    return reportedEndLine - this.overcount - breaks;
  }

  /** A line csv-parse reported (e.g. in a parse error), corrected for the drift so far. */
  correct(reportedLine: number): number {
    return reportedLine - this.overcount;
  }
}

function grantKey(g: RoleGrant): string {
  return `${g.role}\u0000${g.scope}`;
}

function splitList(value: string): string[] {
  if (!value) return [];
  return [...new Set(value.split(';').map((v) => v.trim()).filter(Boolean))];
}

function requiredText(column: string, value: string, max: number, forbidden = CONTROL): string | undefined {
  if (!value) return `${column} is required`;
  if (value.length > max) return `${column} is longer than ${max} characters`;
  if (forbidden.test(value)) return `${column} contains control characters`;
  return undefined;
}

function fieldCount(fields: readonly string[], positions: readonly number[]): string {
  return `has ${fields.length} fields; the header has ${positions.length}`;
}

/** Values are echoed into reasons; a pasted megabyte must not be. */
function clip(value: string): string {
  return value.length > 60 ? `${value.slice(0, 57)}...` : value;
}
