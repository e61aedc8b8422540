import { createHash } from 'node:crypto';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { NotFound } from '../platform/errors/errors.js';
import type { Indicators } from './indicators.js';
import { rebuildRaw, type Splice } from './rawstore.js';
import { authorizeReport, authorizeReportRecord, authorizeTriage, reportReadScope } from './reports.policy.js';
import { findReport, getBlob, listReports, samplesOfReports, type ReportRow, type SampleRow } from './reports.repo.js';

/**
 * Reading reports (API and the reporter's own list). The CSOC reads every report; anyone
 * else reads only their own, and another person's report is "not found".
 */

export interface SampleView {
  id: string;
  sha256: string;
  format: string;
  subject: string;
  sender: string | null;
  status: string;
  verdict: string | null;
  campaignId: string | null;
  headersLost: boolean;
  /** Indicators, for the CSOC only (a reporter sees the verdict, not the analysis). */
  indicators?: Indicators;
}

export interface ReportView {
  id: string;
  receivedAt: string;
  via: string;
  reporter: string;
  reporterVerified: boolean;
  kind: string;
  headersLost: boolean;
  problems: string[];
  arf: Record<string, string[]> | null;
  samples: SampleView[];
}

function sampleView(s: SampleRow, full: boolean): SampleView {
  return {
    id: s.id, sha256: s.sha256, format: s.format, subject: s.subject, sender: s.from_address, status: s.status, verdict: s.verdict,
    campaignId: full ? s.campaign_id : null, headersLost: s.headers_lost === 1,
    ...(full ? { indicators: JSON.parse(s.indicators) as Indicators } : {}),
  };
}

async function views(db: Db, rows: readonly ReportRow[], full: boolean): Promise<ReportView[]> {
  const samples = await samplesOfReports(db, rows.map((r) => r.id));
  return rows.map((r) => ({
    id: r.id, receivedAt: r.received_at, via: r.via, reporter: r.reporter_address, reporterVerified: r.reporter_verified === 1, kind: r.kind,
    headersLost: r.headers_lost === 1, problems: JSON.parse(r.problems) as string[], arf: full && r.arf ? (JSON.parse(r.arf) as Record<string, string[]>) : null,
    samples: samples.filter((s) => s.report_id === r.id).map((s) => sampleView(s, full)),
  }));
}

/** Reports newest first: all of them for the CSOC, one's own for anyone else (or with `mine`). @throws Unauthenticated */
export async function listReportsFor(db: Db, ctx: Ctx, q: { before?: { at: string; id: string }; organisationId?: string; mine?: boolean; limit?: number }): Promise<ReportView[]> {
  const actor = authorizeReport(ctx.actor);
  const scope = q.mine ? { all: false as const, reporterAccountId: actor.accountId } : reportReadScope(actor);
  const rows = await listReports(db, {
    before: q.before, organisationId: scope.all ? q.organisationId : undefined,
    reporterAccountId: scope.all ? undefined : scope.reporterAccountId, limit: Math.min(Math.max(q.limit ?? 50, 1), 200),
  });
  return views(db, rows, scope.all);
}

/** One report. @throws Unauthenticated, NotFound (missing or someone else's) */
export async function getReportFor(db: Db, ctx: Ctx, id: string): Promise<ReportView> {
  authorizeReport(ctx.actor);
  const scope = reportReadScope(ctx.actor);
  const row = await findReport(db, id);
  if (!row) throw new NotFound();
  authorizeReportRecord(scope, row);
  return (await views(db, [row], scope.all))[0]!;
}

/** Keyset cursor of a report list: `<received_at>|<id>`. */
export function cursorOf(r: { receivedAt: string; id: string }): string {
  return `${r.receivedAt}|${r.id}`;
}

/** Parses a cursor; undefined when absent or malformed. */
export function parseCursor(c: string | undefined): { at: string; id: string } | undefined {
  const m = c ? /^(\d{4}-\d\d-\d\dT[\d:.]+Z)\|([0-9a-f-]{36})$/.exec(c) : null;
  return m ? { at: m[1]!, id: m[2]! } : undefined;
}

/**
 * The whole report as received, rebuilt byte for byte (CSOC only).
 * @throws Forbidden, NotFound; Error when the stored bytes do not rebuild it
 */
export async function getReportRawFor(db: Db, ctx: Ctx, id: string): Promise<Buffer> {
  authorizeTriage(ctx.actor);
  const row = await findReport(db, id);
  if (!row) throw new NotFound();
  const skeleton = await getBlob(db, row.raw_blob_sha256);
  if (!skeleton) throw new Error(`report ${id}: stored bytes missing`);
  const splices = row.raw_splices ? (JSON.parse(row.raw_splices) as Splice[]) : [];
  const samples = new Map<string, Buffer>();
  for (const s of splices) if (!samples.has(s.sha256)) samples.set(s.sha256, (await getBlob(db, s.sha256)) ?? Buffer.alloc(0));
  const raw = rebuildRaw(skeleton, splices, (h) => samples.get(h));
  if (createHash('sha256').update(raw).digest('hex') !== row.raw_sha256) throw new Error(`report ${id}: rebuilt bytes do not match their SHA-256`);
  return raw;
}
