/**
 * Tables of this capability, merged into the Database type in platform/db/schema.ts.
 * Same conventions as there: ISO-8601 UTC strings for times, 0/1 for booleans.
 */

/** One run of the UK-mobile sweep (dry run or apply). Its progress is a keyset cursor over account ids. */
export interface PhoneSweepRunTable {
  id: string;
  mode: 'dry-run' | 'apply';
  /** Limit to one organisation (`--org`), or null for all. */
  organisation_id: string | null;
  /** 'running' (scanning accounts), 'notifying' (sending LA digests; apply only), 'finished'. */
  status: 'running' | 'notifying' | 'finished';
  /** The last account id whose batch committed: the run resumes after it. */
  last_account_id: string | null;
  /** The last organisation id whose digest committed. */
  last_digest_org_id: string | null;
  /** The Crown-dependency setting the run started with (1 = Guernsey, Jersey, Isle of Man allowed). */
  allow_crown_dependencies: number;
  /** Accounts with a number examined. */
  checked: number;
  /** Accounts whose number is not an allowed UK mobile. */
  failing: number;
  /** Accounts this run disabled (apply only). */
  disabled: number;
  batches: number;
  started_by: string;
  started_at: string;
  /** Written with every batch: a running sweep whose heartbeat is old was interrupted. */
  updated_at: string;
  finished_at: string | null;
}

/** An account a sweep run found with a number that is not an allowed UK mobile. */
export interface PhoneSweepItemTable {
  run_id: string;
  account_id: string;
  organisation_id: string;
  email: string;
  /** The number exactly as it was stored. */
  mobile: string;
  /** Problem code (phones.ts MobileProblem). */
  problem: string;
  /** The problem in plain words. */
  why: string;
  /** 'would-disable' (dry run), 'disabled', 'already-disabled', 'left-as-is' (locked or disabled for another reason). */
  action: 'would-disable' | 'disabled' | 'already-disabled' | 'left-as-is';
  /** Status of the account when the run looked at it. */
  account_status: string;
}

export interface PhonesTables {
  phone_sweep_runs: PhoneSweepRunTable;
  phone_sweep_items: PhoneSweepItemTable;
}

declare module '../platform/db/schema.js' {
  interface Database extends PhonesTables {}
}
