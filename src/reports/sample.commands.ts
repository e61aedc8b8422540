import type { Config } from '../platform/config/config.js';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { NotFound } from '../platform/errors/errors.js';
import { type BlockRuleView, listBlockRulesFor } from './blocks.commands.js';
import { listSubmissionsFor } from './cert.commands.js';
import type { SubmissionRow } from './cert.repo.js';
import { type ParsedSample, parseSample } from './indicators.js';
import { getBlob } from './reports.repo.js';
import { type BlockKind, blockSuggestions, domainSet } from './reports.js';
import { emptyFrameDocument, safeFrameDocument } from './safeview.js';
import { getSampleFor, type SampleDetail } from './triage.commands.js';

/**
 * What an analyst's pages of one sample show, each loaded by one command that authorizes
 * first (through getSampleFor): the page, its safe HTML frame, and its original bytes.
 */

export interface SamplePage extends SampleDetail {
  /** The first 300 header fields of the stored view. */
  headers: ParsedSample['headers'];
  /** The text part, at most 200,000 characters; null when there is none. */
  text: string | null;
  hasHtml: boolean;
  submissions: SubmissionRow[];
  blocks: BlockRuleView[];
  suggestions: { kind: BlockKind; value: string; common: boolean }[];
}

/** One sample's page: the sample, its readable parts, its CERT submissions, block rules and suggestions. @throws Forbidden, NotFound */
export async function samplePageFor(db: Db, config: Config, ctx: Ctx, id: string): Promise<SamplePage> {
  const detail = await getSampleFor(db, ctx, id);
  const view = await getBlob(db, detail.sample.view_sha256);
  const parsed = view ? await parseSample(view, { headersLost: detail.sample.headers_lost === 1 }) : null;
  return {
    ...detail, headers: parsed?.headers.slice(0, 300) ?? [], text: parsed?.text?.slice(0, 200_000) ?? null, hasHtml: !!parsed?.html,
    submissions: await listSubmissionsFor(db, ctx, { sampleId: id, limit: 20 }),
    blocks: await listBlockRulesFor(db, ctx, { all: true, sampleId: id, limit: 50 }),
    suggestions: blockSuggestions(detail.indicators, domainSet(config.reportCampaignIgnoreDomains)),
  };
}

/** The sample's sanitised HTML as a whole frame document (a placeholder when it has none). @throws Forbidden, NotFound */
export async function sampleFrameFor(db: Db, ctx: Ctx, id: string): Promise<string> {
  const detail = await getSampleFor(db, ctx, id);
  const view = await getBlob(db, detail.sample.view_sha256);
  const parsed = view ? await parseSample(view) : null;
  return parsed?.html ? safeFrameDocument(parsed.html) : emptyFrameDocument('This message has no HTML part.');
}

/** The sample's original bytes and the file name to download them as. @throws Forbidden, NotFound */
export async function sampleOriginalFor(db: Db, ctx: Ctx, id: string): Promise<{ bytes: Buffer; filename: string }> {
  const { sample } = await getSampleFor(db, ctx, id);
  const bytes = await getBlob(db, sample.sha256);
  if (!bytes) throw new NotFound();
  return { bytes, filename: `sample-${sample.sha256.slice(0, 12)}.${sample.format === 'msg' ? 'msg' : 'eml'}` };
}
