/**
 * Tables of this capability, merged into the Database type in platform/db/schema.ts.
 * Same conventions as there: ISO-8601 UTC strings for times, 0/1 for booleans.
 */

/** A suspicion raised by another part of the platform, for CSOC review. */
export interface CompromiseSuspicionTable {
  id: string;
  account_id: string;
  organisation_id: string;
  /** e.g. 'phishing-report'. */
  source: string;
  /** Short, body-free description with a reference. */
  detail: string;
  raised_at: string;
  status: 'open' | 'confirmed' | 'dismissed';
  reviewed_by: string | null;
  reviewed_at: string | null;
  review_note: string | null;
  /** The case opened when the suspicion was confirmed. */
  case_id: string | null;
}

/** A compromised-account case: opened when an account is marked compromised. */
export interface CompromiseCaseTable {
  id: string;
  account_id: string;
  organisation_id: string;
  status: 'open' | 'closed';
  /** When the account was marked compromised: the checklist counts from here. */
  flagged_at: string;
  reason: string;
  evidence_ref: string;
  opened_by_id: string | null;
  opened_by: string;
  suspicion_id: string | null;
  closed_at: string | null;
  closed_by: string | null;
  /** Set when the case first passed the escalation age. */
  escalated_at: string | null;
  last_reminder_at: string | null;
  reminders: number;
}

/** A device that signed in to the account in the 30 days before the flag (a snapshot taken at the flag). */
export interface CompromiseCaseDeviceTable {
  id: string;
  case_id: string;
  device_id: string | null;
  user_agent: string;
  /** JSON array of IP addresses, in order of first use. */
  ips: string;
  first_seen: string;
  last_seen: string;
  sign_ins: number;
}

/** A malware-scan record for a case device, or "not ours / not reachable" with a reason. */
export interface CompromiseDeviceCheckTable {
  id: string;
  case_id: string;
  case_device_id: string;
  kind: 'scan' | 'not-ours';
  /** Who scanned the device (a person's name). */
  scanned_by: string | null;
  tool: string | null;
  result: 'clean' | 'cleaned' | 'infected' | null;
  /** Date of the scan, YYYY-MM-DD. */
  scanned_on: string | null;
  reason: string | null;
  recorded_by_id: string | null;
  recorded_by: string;
  recorded_at: string;
}

/** The case timeline: every step someone (or the system) took. */
export interface CompromiseCaseEventTable {
  id: string;
  case_id: string;
  at: string;
  kind: string;
  actor: string;
  /** JSON object: what the timeline shows about the step (never secrets). */
  details: string;
}

export interface CompromiseTables {
  compromise_suspicions: CompromiseSuspicionTable;
  compromise_cases: CompromiseCaseTable;
  compromise_case_devices: CompromiseCaseDeviceTable;
  compromise_device_checks: CompromiseDeviceCheckTable;
  compromise_case_events: CompromiseCaseEventTable;
}

declare module '../platform/db/schema.js' {
  interface Database extends CompromiseTables {}
}
