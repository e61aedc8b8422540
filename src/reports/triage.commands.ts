import { recordAudit } from '../audit/audit.commands.js';
import type { Config } from '../platform/config/config.js';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { Invalid, NotFound } from '../platform/errors/errors.js';
import { newId } from '../platform/ids.js';
import type { Indicators } from './indicators.js';
import { ageBounds, MAX_BULK, type SampleStatus, type Verdict } from './reports.js';
import { enqueueVerdictEmail } from './reports.commands.js';
import { authorizeTriage } from './reports.policy.js';
import { findSample, organisationNames, reportersOf, type SampleRow } from './reports.repo.js';
import {
  assignSamples, campaignKeysOf, campaignSampleIds, findCampaign, insertNote, listCampaigns, listQueue, notesOf, queueCounts,
  reporterOrganisations, samplesByIds, setCampaignVerdict, setSampleVerdicts, type CampaignRow, type NoteRow,
} from './triage.repo.js';

/** The CSOC's work: the queue, assignment, notes and verdicts. Every command authorizes first. */

const NOTE_MAX = 4000;

export interface QueueQuery {
  status?: SampleStatus;
  mine?: boolean;
  campaignId?: string;
  organisationId?: string;
  verdict?: Verdict | 'none';
  age?: string;
  search?: string;
  before?: { at: string; id: string };
  limit?: number;
}

export interface QueueItem extends SampleRow {
  urlDomains: string[];
}

/** The CSOC queue with its filters. @throws Forbidden */
export async function listQueueFor(db: Db, ctx: Ctx, q: QueueQuery): Promise<{ items: QueueItem[]; organisations: { id: string; name: string }[] }> {
  authorizeTriage(ctx.actor);
  const bounds = ageBounds(q.age, ctx.now);
  const rows = await listQueue(db, {
    status: q.status, assignedTo: q.mine && ctx.actor ? ctx.actor.accountId : undefined, campaignId: q.campaignId, organisationId: q.organisationId,
    verdict: q.verdict, firstAfter: bounds.after, firstBefore: bounds.before, search: q.search, before: q.before, limit: Math.min(Math.max(q.limit ?? 50, 1), 200),
  });
  const items = rows.map((r) => ({ ...r, urlDomains: (JSON.parse(r.indicators) as Indicators).urlDomains.slice(0, 5) }));
  return { items, organisations: await reporterOrganisations(db, 500) };
}

export interface SampleDetail {
  sample: SampleRow;
  indicators: Indicators;
  reporters: { reportId: string; address: string; organisation: string | null; receivedAt: string; via: string; verified: boolean }[];
  notes: NoteRow[];
  campaign: CampaignRow | null;
}

/** One sample with who reported it, its notes and campaign. @throws Forbidden, NotFound */
export async function getSampleFor(db: Db, ctx: Ctx, id: string): Promise<SampleDetail> {
  authorizeTriage(ctx.actor);
  const sample = await findSample(db, id);
  if (!sample) throw new NotFound();
  const links = await reportersOf(db, [id]);
  const orgs = await organisationNames(db, links.map((l) => l.reporter_organisation_id).filter((o): o is string => !!o));
  return {
    sample,
    indicators: JSON.parse(sample.indicators) as Indicators,
    reporters: links.map((l) => ({
      reportId: l.report_id, address: l.reporter_address, organisation: l.reporter_organisation_id ? orgs.get(l.reporter_organisation_id) ?? null : null,
      receivedAt: l.received_at, via: l.via, verified: l.reporter_verified === 1,
    })),
    notes: await notesOf(db, { sampleId: id }),
    campaign: sample.campaign_id ? (await findCampaign(db, sample.campaign_id)) ?? null : null,
  };
}

function checkIds(ids: readonly string[]): string[] {
  const unique = [...new Set(ids)];
  if (unique.length === 0) throw new Invalid('Select at least one report.', ['Select at least one report.']);
  if (unique.length > MAX_BULK) throw new Invalid(`Select at most ${MAX_BULK} reports at a time.`, [`Select at most ${MAX_BULK} reports at a time.`]);
  return unique;
}

/** Assigns samples to the acting analyst, or releases them (to: null). Returns how many changed. @throws Forbidden, Invalid */
export async function assignFor(db: Db, ctx: Ctx, ids: readonly string[], to: 'me' | null): Promise<number> {
  authorizeTriage(ctx.actor);
  const list = checkIds(ids);
  if (to === 'me' && !ctx.actor) throw new Invalid('The command line cannot take reports; assign them in the portal.');
  return db.transaction().execute((trx) => assignSamples(trx, list, to === 'me' ? { id: ctx.actor!.accountId, email: ctx.actor!.email } : null, ctx.now.toISOString()));
}

/** Adds an analyst's note to a sample or a campaign. @throws Forbidden, Invalid, NotFound */
export async function addNoteFor(db: Db, ctx: Ctx, target: { sampleId?: string; campaignId?: string }, text: string): Promise<void> {
  authorizeTriage(ctx.actor);
  const t = text.replace(/\r\n/g, '\n').trim();
  if (!t) throw new Invalid('Enter a note.', ['Enter a note.']);
  if (t.length > NOTE_MAX) throw new Invalid(`A note can be at most ${NOTE_MAX} characters.`, [`A note can be at most ${NOTE_MAX} characters.`]);
  if (target.sampleId && !(await findSample(db, target.sampleId))) throw new NotFound();
  if (target.campaignId && !(await findCampaign(db, target.campaignId))) throw new NotFound();
  await insertNote(db, {
    id: newId(ctx.now.getTime()), sample_id: target.sampleId ?? null, campaign_id: target.campaignId ?? null,
    author_id: ctx.actor?.accountId ?? null, author_email: ctx.actor?.email ?? 'cli', at: ctx.now.toISOString(), text: t,
  });
}

/**
 * Records a verdict on samples (closing them) and queues the verdict email to every
 * verified reporter of each. Audited. Returns the samples changed.
 * @throws Forbidden, Invalid, NotFound (an id that does not exist)
 */
export async function setVerdictFor(db: Db, config: Config, ctx: Ctx, ids: readonly string[], verdict: Verdict, via?: { campaignId: string }): Promise<SampleRow[]> {
  authorizeTriage(ctx.actor);
  const list = via ? [...new Set(ids)] : checkIds(ids);
  const samples = await samplesByIds(db, list);
  if (samples.length !== list.length) throw new NotFound();
  const by = ctx.actor?.email ?? 'cli';
  await db.transaction().execute(async (trx) => {
    await setSampleVerdicts(trx, list, verdict, by, ctx.now.toISOString());
    if (via) await setCampaignVerdict(trx, via.campaignId, verdict, by, ctx.now.toISOString());
    const bySample = new Map(samples.map((s) => [s.id, s]));
    for (const r of await reportersOf(trx, list)) {
      // Verified reporters only: an unverified report's From may name someone who never sent it.
      if (r.reporter_verified !== 1 || !r.reporter_account_id || !r.account_email || !r.reporter_organisation_id) continue;
      await enqueueVerdictEmail(trx, config, ctx.now, {
        reportId: r.report_id, sampleId: r.sample_id, to: r.account_email, accountId: r.reporter_account_id, organisationId: r.reporter_organisation_id,
        verdict, subject: bySample.get(r.sample_id)?.subject ?? '',
      });
    }
    await recordAudit(trx, ctx, {
      action: via ? 'report.campaign.verdict' : 'report.verdict', target: via ? `campaign:${via.campaignId}` : list.length === 1 ? `sample:${list[0]}` : null,
      details: { verdict, count: list.length, samples: samples.slice(0, 50).map((s) => s.sha256) },
    });
  });
  return samples.map((s) => ({ ...s, verdict, status: 'closed' as const }));
}

/**
 * One verdict for a whole campaign: every sample in it without a verdict gets it (samples
 * already judged keep theirs), and the campaign records it. @throws Forbidden, NotFound
 */
export async function setCampaignVerdictFor(db: Db, config: Config, ctx: Ctx, campaignId: string, verdict: Verdict): Promise<number> {
  authorizeTriage(ctx.actor);
  if (!(await findCampaign(db, campaignId))) throw new NotFound();
  const ids = await campaignSampleIds(db, campaignId, true);
  await setVerdictFor(db, config, ctx, ids, verdict, { campaignId });
  return ids.length;
}

/** A campaign, its keys, samples and notes. @throws Forbidden, NotFound */
export async function getCampaignFor(db: Db, ctx: Ctx, id: string): Promise<{ campaign: CampaignRow; keys: { kind: string; value: string }[]; samples: SampleRow[]; notes: NoteRow[] }> {
  authorizeTriage(ctx.actor);
  const campaign = await findCampaign(db, id);
  if (!campaign) throw new NotFound();
  return { campaign, keys: await campaignKeysOf(db, id), samples: await listQueue(db, { campaignId: id, limit: 200 }), notes: await notesOf(db, { campaignId: id }) };
}

/** Campaigns by recent activity. @throws Forbidden */
export async function listCampaignsFor(db: Db, ctx: Ctx): Promise<Awaited<ReturnType<typeof listCampaigns>>> {
  authorizeTriage(ctx.actor);
  return listCampaigns(db, 100);
}

/** Queue counts for the CSOC dashboard (new, assigned, open for more than a day). @throws Forbidden */
export async function queueSummaryFor(db: Db, ctx: Ctx): Promise<{ new: number; assigned: number; stale: number }> {
  authorizeTriage(ctx.actor);
  return queueCounts(db, new Date(ctx.now.getTime() - 86_400_000).toISOString());
}
