import { isHighRiskArea, isValidEmail, normaliseEmail } from '../directory/directory.js';

/**
 * Pure rules of the MFA coverage dashboard and of "require MFA" in bulk. Whether one
 * account must use MFA is decided by mfaReasons (mfa.ts); the repository computes the
 * same rule in SQL for whole organisations, and the tests hold the two together.
 */

/** Coverage of one business area of one organisation. */
export interface AreaCoverage {
  businessArea: string;
  /** Every account in the area. */
  total: number;
  /** Accounts that must use MFA (any reason). */
  required: number;
  /** Of those required, accounts with at least one active factor. */
  requiredEnrolled: number;
  /** Accounts with at least one active factor, required or not. */
  enrolled: number;
  /** The organisation marks this area high-risk. */
  highRisk: boolean;
}

/** Required accounts without a factor: the people an LA has to chase. */
export function gapOf(a: Pick<AreaCoverage, 'required' | 'requiredEnrolled'>): number {
  return a.required - a.requiredEnrolled;
}

/** Sums of a set of areas (the "All areas" row). */
export function totalsOf(areas: readonly AreaCoverage[]): Omit<AreaCoverage, 'businessArea' | 'highRisk'> {
  const t = { total: 0, required: 0, requiredEnrolled: 0, enrolled: 0 };
  for (const a of areas) {
    t.total += a.total;
    t.required += a.required;
    t.requiredEnrolled += a.requiredEnrolled;
    t.enrolled += a.enrolled;
  }
  return t;
}

export interface CoverageFilter {
  /** Case-insensitive fragment of the area name. */
  search?: string;
  /** Only areas where someone required has not enrolled. */
  gapsOnly?: boolean;
}

/** The areas that pass the filter, in the order given. */
export function filterAreas(areas: readonly AreaCoverage[], f: CoverageFilter): AreaCoverage[] {
  const s = f.search?.trim().toLowerCase();
  return areas.filter((a) => (!s || a.businessArea.toLowerCase().includes(s)) && (!f.gapsOnly || gapOf(a) > 0));
}

export const MAX_AREA_LENGTH = 100;

/**
 * Problems with a business-area name an administrator asks to mark high-risk (empty when
 * it is acceptable).
 */
export function areaProblems(area: string): string[] {
  const a = area.trim();
  const problems: string[] = [];
  if (!a) problems.push('Enter a business area.');
  if (a.length > MAX_AREA_LENGTH) problems.push(`Business area must be ${MAX_AREA_LENGTH} characters or fewer.`);
  if (/[\u0000-\u001f\u007f]/.test(a)) problems.push('Remove control characters.');
  return problems;
}

/** The high-risk list with `area` added (trimmed), unless it is already there in any case. */
export function withHighRiskArea(highRiskAreas: readonly string[], area: string): string[] {
  return isHighRiskArea(area, highRiskAreas) ? [...highRiskAreas] : [...highRiskAreas, area.trim()];
}

export const MAX_PASTED_ADDRESSES = 5000;

export interface PastedAddress {
  /** 1-based line of the pasted text (for the API: position in the array). */
  line: number;
  email: string;
}

export interface ParsedAddresses {
  /** Valid, normalised, each address once (at its first line). */
  addresses: PastedAddress[];
  /** Entries that are not email addresses, as typed. */
  invalid: { line: number; text: string }[];
}

/**
 * Reads a pasted list of addresses: one per line, or separated by commas or semicolons;
 * blank entries are ignored, duplicates kept once. `Name <a@b>` is accepted as a@b.
 * Never throws: the caller checks the count against MAX_PASTED_ADDRESSES.
 */
export function parseAddressList(text: string): ParsedAddresses {
  const addresses: PastedAddress[] = [];
  const invalid: { line: number; text: string }[] = [];
  const seen = new Set<string>();
  const lines = text.split(/\r\n|\r|\n/);
  lines.forEach((raw, i) => {
    for (const part of raw.split(/[,;]/)) {
      const typed = part.trim();
      if (!typed) continue;
      const bracketed = /<([^<>]+)>\s*$/.exec(typed);
      const email = normaliseEmail(bracketed ? bracketed[1]! : typed);
      if (!isValidEmail(email)) {
        invalid.push({ line: i + 1, text: typed.slice(0, 200) });
        continue;
      }
      if (seen.has(email)) continue;
      seen.add(email);
      addresses.push({ line: i + 1, email });
    }
  });
  return { addresses, invalid };
}

/** Most account ids an audit event lists; the count is always exact. */
export const AUDIT_ID_CAP = 1000;

/** Audit details for a bulk change: exact count, ids capped so one event stays small. */
export function auditIds(ids: readonly string[]): { count: number; accountIds: string[]; accountIdsTruncated: boolean } {
  return { count: ids.length, accountIds: ids.slice(0, AUDIT_ID_CAP), accountIdsTruncated: ids.length > AUDIT_ID_CAP };
}
