import { createHash } from 'node:crypto';
import { raiseSuspectedCompromise } from '../compromise/compromise.signals.js';
import type { Config } from '../platform/config/config.js';
import { reportingAddresses, trustedAuthservId } from './reports.config.js';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { Invalid, RateLimited } from '../platform/errors/errors.js';
import { newId } from '../platform/ids.js';
import { enqueueNotification } from '../platform/notify/outbox.js';
import { authenticatedSampleSender, internalOrigin, parseSample, type Indicators } from './indicators.js';
import { directSample, splitReport, type ExtractedSample, type ReportIntake } from './intake.js';
import { msgToRfc822 } from './msg.js';
import { cutSamples } from './rawstore.js';
import { campaignKeys, campaignLabel, domainSet, verdictWording, type Verdict } from './reports.js';
import {
  accountByEmail, accountById, bumpCampaign, campaignForKeys, claimCampaignKeys, countReportsSince, dropEmptyCampaign, findSample, findSampleBySha,
  insertCampaign, insertReport, insertSample, linkSample, organisationDomainsAmong, putBlobs, touchSample,
} from './reports.repo.js';

/** Where a report came from. */
export interface ReportSource {
  via: 'smtp' | 'api' | 'upload';
  /** The reporter's address (lower case): the token's or session's account, or the report mail's sender. */
  reporterAddress: string;
  /**
   * Set only when the reporter is authenticated (token, session, or report mail the gateway
   * authenticated): the report is then verified. Null: kept and triaged, but unverified.
   */
  reporterAccountId: string | null;
  remoteAddress: string | null;
  /** True when the body is the reported message itself (API, upload), not a report that carries it. */
  direct: boolean;
  filename?: string | null;
}

export interface IngestResult {
  reportId: string;
  kind: ReportIntake['kind'];
  headersLost: boolean;
  problems: string[];
  samples: { id: string; sha256: string; format: string; duplicate: boolean }[];
}

interface PreparedSample {
  sample: ExtractedSample;
  sha256: string;
  existingId: string | null;
  view: Buffer | null;
  viewSha256: string | null;
  indicators: Indicators | null;
  problem: string | null;
  internalAddress: string | null;
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const MB = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** Parent domains of a domain, itself first: a.b.example.org → a.b.example.org, b.example.org, example.org. */
function withParents(domain: string): string[] {
  const labels = domain.split('.');
  return labels.slice(0, -1).map((_, i) => labels.slice(i).join('.'));
}

async function prepare(db: Db, config: Config, s: ExtractedSample, headersLost: boolean): Promise<PreparedSample> {
  const sha256 = sha(s.bytes);
  const existing = await findSampleBySha(db, sha256);
  if (existing) return { sample: s, sha256, existingId: existing.id, view: null, viewSha256: null, indicators: null, problem: null, internalAddress: null };
  let view = s.bytes;
  let problem: string | null = null;
  if (s.format === 'msg') {
    try {
      view = msgToRfc822(s.bytes);
    } catch (err) {
      problem = `The Outlook file could not be read (${(err as Error).message.slice(0, 120)}); it is kept as given.`;
    }
  }
  const parsed = await parseSample(view, { headersLost: headersLost || s.format === 'inline' });
  problem = problem ?? parsed.problem;
  let internalAddress: string | null = null;
  const from = parsed.indicators.from;
  if (from && authenticatedSampleSender(parsed.indicators, trustedAuthservId(config))) {
    const platform = config.platformDomain.toLowerCase();
    const candidates = withParents(from.domain);
    const own = new Set([...(await organisationDomainsAmong(db, candidates)), ...(candidates.includes(platform) ? [platform] : [])]);
    internalAddress = internalOrigin(parsed.indicators, trustedAuthservId(config), own);
  }
  return { sample: s, sha256, existingId: null, view: view === s.bytes ? null : view, viewSha256: view === s.bytes ? null : sha(view), indicators: parsed.indicators, problem, internalAddress };
}

/**
 * Takes a report into the store: the whole report and every sample verbatim, indicators,
 * campaign, a link from each sample to this reporter. For a verified reporter (see
 * `ReportSource.reporterAccountId`) also an acknowledgement, and a suspected-compromise
 * signal for a sample sent by one of the platform's own accounts; an unverified report
 * gets neither. Everything is durable when it returns.
 * @throws Invalid (empty, too large, too many samples), RateLimited (too many reports from one reporter)
 */
export async function ingestReport(db: Db, config: Config, ctx: Ctx, raw: Buffer, source: ReportSource): Promise<IngestResult> {
  const now = ctx.now.toISOString();
  if (raw.length === 0) throw new Invalid('The report is empty.', ['The report is empty: attach the suspicious message.']);
  if (raw.length > config.reportMaxBytes) {
    throw new Invalid(`The report is too large: ${MB(raw.length)}, the limit is ${MB(config.reportMaxBytes)}.`, [`Reports may be at most ${MB(config.reportMaxBytes)}.`]);
  }
  const hourAgo = new Date(ctx.now.getTime() - 3_600_000).toISOString();
  if ((await countReportsSince(db, source.reporterAddress, hourAgo)) >= config.reportMaxPerReporterPerHour) {
    throw new RateLimited(`Too many reports from ${source.reporterAddress}: at most ${config.reportMaxPerReporterPerHour} an hour. Try again later.`, 3600);
  }
  const intake = source.direct ? directSample(raw, source.filename ?? null) : splitReport(raw);
  if (intake.samples.length > config.reportMaxSamples) {
    throw new Invalid(`The report carries ${intake.samples.length} messages; at most ${config.reportMaxSamples} are accepted in one report.`, [
      `Send at most ${config.reportMaxSamples} attached messages per report.`,
    ]);
  }
  const prepared: PreparedSample[] = [];
  for (const s of intake.samples) prepared.push(await prepare(db, config, s, intake.headersLost));
  // Only an authenticated reporter is an account: a report's From is otherwise the sender's
  // word, so it gets no acknowledgement, no link to that account, and no say about samples.
  const reporter = source.reporterAccountId ? await accountById(db, source.reporterAccountId) : undefined;
  const internal = new Map<string, string>();
  for (const p of prepared) {
    if (!p.internalAddress || !reporter) continue;
    const a = await accountByEmail(db, p.internalAddress);
    if (a) internal.set(p.sha256, a.id);
  }
  const ignore = domainSet(config.reportCampaignIgnoreDomains);
  ignore.add(config.platformDomain.toLowerCase());
  const reportId = newId(ctx.now.getTime());
  const result: IngestResult = { reportId, kind: intake.kind, headersLost: intake.headersLost, problems: [...intake.problems], samples: [] };

  await db.transaction().execute(async (trx) => {
    const rawSha = sha(raw);
    const { skeleton, splices } = cutSamples(raw, prepared.map((p) => ({ bytes: p.sample.bytes, sha256: p.sha256 })));
    const skeletonSha = skeleton === raw ? rawSha : sha(skeleton);
    await putBlobs(trx, [{ sha256: skeletonSha, content: skeleton }, ...prepared.flatMap((p) => [
      { sha256: p.sha256, content: p.sample.bytes }, ...(p.view ? [{ sha256: p.viewSha256!, content: p.view }] : []),
    ])], now);
    await insertReport(trx, {
      id: reportId, received_at: now, via: source.via, reporter_address: source.reporterAddress,
      reporter_account_id: reporter?.id ?? null, reporter_organisation_id: reporter?.organisation_id ?? null,
      reporter_verified: reporter ? 1 : 0, raw_sha256: rawSha, raw_size: raw.length, kind: intake.kind,
      raw_blob_sha256: skeletonSha, raw_splices: splices.length ? JSON.stringify(splices) : null,
      headers_lost: intake.headersLost ? 1 : 0, sample_count: prepared.length, arf: intake.arf ? JSON.stringify(intake.arf) : null,
      comment: intake.comment, problems: JSON.stringify(intake.problems), remote_address: source.remoteAddress,
    });
    const verdictsToSend: { sampleId: string; verdict: Verdict; subject: string }[] = [];
    for (const [position, p] of prepared.entries()) {
      const stored = p.existingId || !p.indicators
        ? { id: p.existingId ?? (await findSampleBySha(trx, p.sha256))!.id, inserted: false }
        : await storeNewSample(trx, ctx, p, p.indicators, { accountId: internal.get(p.sha256) ?? null, ignore, reportId });
      if (!stored.inserted) {
        await touchSample(trx, stored.id, now);
        const known = await findSample(trx, stored.id);
        if (known?.verdict) verdictsToSend.push({ sampleId: stored.id, verdict: known.verdict, subject: known.subject });
      }
      await linkSample(trx, { report_id: reportId, position, sample_id: stored.id, reporter_organisation_id: reporter?.organisation_id ?? null, received_at: now });
      result.samples.push({ id: stored.id, sha256: p.sha256, format: p.sample.format, duplicate: !stored.inserted });
      if (p.problem) result.problems.push(p.problem);
    }
    if (reporter) {
      await enqueueNotification(trx, config.secretKey, ctx.now, {
        channel: 'email', template: 'reports/acknowledgement', to: reporter.email, accountId: reporter.id, organisationId: reporter.organisation_id,
        dedupeKey: `report-ack:${reportId}`,
        data: {
          reportId, sampleCount: prepared.length, headersLost: intake.headersLost, reportAddress: reportingAddresses(config)[0],
          subjects: prepared.slice(0, 3).map((p) => (p.indicators?.subject ?? '').slice(0, 120)),
        },
      });
      for (const v of verdictsToSend) {
        await enqueueVerdictEmail(trx, config, ctx.now, { reportId, sampleId: v.sampleId, to: reporter.email, accountId: reporter.id, organisationId: reporter.organisation_id, verdict: v.verdict, subject: v.subject });
      }
    }
  });
  return result;
}

/**
 * Stores a sample seen for the first time, in the campaign that owns one of its keys (or
 * a new one), and raises the suspected-compromise signal for an internal sender. When
 * another request stored the same bytes a moment earlier, returns that sample instead.
 */
async function storeNewSample(
  trx: Db, ctx: Ctx, p: PreparedSample, ind: Indicators, o: { accountId: string | null; ignore: ReadonlySet<string>; reportId: string },
): Promise<{ id: string; inserted: boolean }> {
  const now = ctx.now.toISOString();
  const keys = campaignKeys({ subjectNorm: ind.subjectNorm, senderDomain: o.accountId || ind.fromForwardedText ? null : ind.from?.registrableDomain ?? null, urlDomains: ind.urlDomains }, o.ignore);
  const found = await campaignForKeys(trx, keys);
  const campaignId = found ?? (keys.length ? newId(ctx.now.getTime()) : null);
  if (campaignId && !found) await insertCampaign(trx, { id: campaignId, label: campaignLabel(keys, ind.subject).slice(0, 200), now });
  const id = newId(ctx.now.getTime());
  const inserted = await insertSample(trx, {
    id, sha256: p.sha256, view_sha256: p.viewSha256 ?? p.sha256, format: p.sample.format, filename: p.sample.filename?.slice(0, 255) ?? null,
    size: p.sample.bytes.length, first_reported_at: now, last_reported_at: now, report_count: 1, subject: ind.subject.slice(0, 998),
    from_address: ind.from?.address ?? null, from_domain: ind.from?.domain ?? null, message_id: ind.messageId?.slice(0, 998) ?? null,
    headers_lost: p.sample.format === 'inline' ? 1 : 0, indicators: JSON.stringify(ind), parse_problem: p.problem,
    internal_account_id: o.accountId, campaign_id: campaignId, status: 'new', assigned_to: null, assigned_email: null,
    assigned_at: null, verdict: null, verdict_at: null, verdict_by: null, cert_submission_id: null,
  });
  if (!inserted) {
    if (campaignId && !found) await dropEmptyCampaign(trx, campaignId);
    return { id: (await findSampleBySha(trx, p.sha256))!.id, inserted: false };
  }
  if (campaignId) {
    if (found) await bumpCampaign(trx, campaignId);
    await claimCampaignKeys(trx, campaignId, keys);
  }
  if (o.accountId) {
    await raiseSuspectedCompromise(trx, ctx, { accountId: o.accountId, source: 'phishing-report', detail: `reported sample ${id} (report ${o.reportId}) was sent from this account` });
  }
  return { id, inserted: true };
}

/** Queues the verdict email to one reporter (at most one per report, sample and verdict). */
export async function enqueueVerdictEmail(
  trx: Db, config: Config, now: Date,
  v: { reportId: string; sampleId: string; to: string; accountId: string; organisationId: string; verdict: Verdict; subject: string },
): Promise<void> {
  await enqueueNotification(trx, config.secretKey, now, {
    channel: 'email', template: 'reports/verdict', to: v.to, accountId: v.accountId, organisationId: v.organisationId,
    dedupeKey: `report-verdict:${v.reportId}:${v.sampleId}:${v.verdict}`,
    data: { reportId: v.reportId, verdict: v.verdict, wording: verdictWording(config, v.verdict), subject: v.subject.slice(0, 120) },
  });
}
