/**
 * Tables of this capability, merged into the Database type in platform/db/schema.ts.
 * Same conventions as there: ISO-8601 UTC strings for times, 0/1 for booleans.
 */

/** Verbatim bytes keyed by SHA-256 (hex): samples, .msg renditions, whole reports. */
export interface ReportBlobTable {
  sha256: string;
  size: number;
  content: Buffer;
  created_at: string;
}

/** One report as received: who sent it, how, and what it held. */
export interface ReportTable {
  id: string;
  received_at: string;
  via: 'smtp' | 'api' | 'upload';
  reporter_address: string;
  reporter_account_id: string | null;
  reporter_organisation_id: string | null;
  /** 1 when the reporter was authenticated (API token, portal session, internal SMTP origin). */
  reporter_verified: number;
  /** SHA-256 of the whole report message (or upload) as received: nothing accepted is lost. */
  raw_sha256: string;
  raw_size: number;
  /** The blob holding the report without the samples that are verbatim slices of it (see rawstore.ts). */
  raw_blob_sha256: string;
  /** JSON of the splice points (rawstore.ts Splice[]) that put those samples back; null when nothing was cut. */
  raw_splices: string | null;
  kind: 'attachment' | 'arf' | 'inline' | 'direct';
  headers_lost: number;
  sample_count: number;
  /** JSON of the ARF feedback-report fields, when the report was ARF. */
  arf: string | null;
  /** The reporter's own words, if the report had any (shortened). */
  comment: string | null;
  /** JSON array of notes about the intake (parts that were not samples, parse problems). */
  problems: string;
  remote_address: string | null;
}

/** A distinct reported message (deduplicated by SHA-256 of its original bytes). */
export interface ReportSampleTable {
  id: string;
  sha256: string;
  /** SHA-256 of the RFC 822 form shown to analysts (= sha256 except for .msg files). */
  view_sha256: string;
  format: 'rfc822' | 'msg' | 'headers-only' | 'inline';
  filename: string | null;
  size: number;
  first_reported_at: string;
  last_reported_at: string;
  report_count: number;
  subject: string;
  from_address: string | null;
  from_domain: string | null;
  message_id: string | null;
  headers_lost: number;
  /** JSON of the Indicators (see indicators.ts). */
  indicators: string;
  /** Why extraction was partial, if it was. */
  parse_problem: string | null;
  /** The platform account that sent it (authenticated internal origin), if any. */
  internal_account_id: string | null;
  campaign_id: string | null;
  status: 'new' | 'assigned' | 'closed';
  assigned_to: string | null;
  assigned_email: string | null;
  assigned_at: string | null;
  verdict: 'phishing' | 'spam' | 'legitimate' | null;
  verdict_at: string | null;
  verdict_by: string | null;
  /** The submission that holds this sample's CERT submission (a claim: set before sending). */
  cert_submission_id: string | null;
}

/** Which report carried which sample (every reporter of a duplicate is linked). */
export interface ReportSampleLinkTable {
  report_id: string;
  position: number;
  sample_id: string;
  reporter_organisation_id: string | null;
  received_at: string;
}

export interface ReportCampaignTable {
  id: string;
  created_at: string;
  label: string;
  sample_count: number;
  verdict: 'phishing' | 'spam' | 'legitimate' | null;
  verdict_at: string | null;
  verdict_by: string | null;
}

/** Grouping keys: a sample joins the campaign that owns one of its keys. */
export interface ReportCampaignKeyTable {
  /** `<kind>:<value>`: one indexed column, so a sample's keys are one IN lookup. */
  key: string;
  kind: 'url-domain' | 'subject' | 'sender-domain';
  value: string;
  campaign_id: string;
}

export interface ReportNoteTable {
  id: string;
  sample_id: string | null;
  campaign_id: string | null;
  author_id: string | null;
  author_email: string;
  at: string;
  text: string;
}

/** One email to the CERT address, with who sent it and when. */
export interface CertSubmissionTable {
  id: string;
  at: string;
  actor_id: string | null;
  actor_email: string;
  to_address: string;
  arf: number;
  forced: number;
  status: 'sending' | 'sent' | 'failed';
  message_id: string | null;
  error: string | null;
  sample_count: number;
}

export interface CertSubmissionSampleTable {
  submission_id: string;
  sample_id: string;
  sha256: string;
}

export interface BlockRuleTable {
  id: string;
  kind: 'sender-address' | 'sender-domain' | 'url-domain';
  value: string;
  created_at: string;
  created_by: string | null;
  created_by_email: string;
  sample_id: string | null;
  reason: string;
  expires_at: string | null;
  lifted_at: string | null;
  lifted_by_email: string | null;
}

/** One row (id 1): bumped on every block-rule change; gateway processes poll it. */
export interface BlockRulesVersionTable {
  id: number;
  version: number;
}

export interface ReportsTables {
  report_blobs: ReportBlobTable;
  reports: ReportTable;
  report_samples: ReportSampleTable;
  report_sample_links: ReportSampleLinkTable;
  report_campaigns: ReportCampaignTable;
  report_campaign_keys: ReportCampaignKeyTable;
  report_notes: ReportNoteTable;
  cert_submissions: CertSubmissionTable;
  cert_submission_samples: CertSubmissionSampleTable;
  block_rules: BlockRuleTable;
  block_rules_version: BlockRulesVersionTable;
}

declare module '../platform/db/schema.js' {
  interface Database extends ReportsTables {}
}
