import type { Selectable } from 'kysely';
import type { Db } from '../platform/db/db.js';
import type { SampleRow } from './reports.repo.js';
import type { SampleStatus, Verdict } from './reports.js';
import type { ReportCampaignTable, ReportNoteTable } from './reports.tables.js';
import { containsText } from '../platform/db/like.js';

/** SQL of the CSOC queue: filters, assignment, notes, verdicts, campaigns. Handle first. */

export type CampaignRow = Selectable<ReportCampaignTable>;
export type NoteRow = Selectable<ReportNoteTable>;

export interface QueueFilter {
  status?: SampleStatus;
  assignedTo?: string;
  campaignId?: string;
  /** Samples reported by someone in this organisation. */
  organisationId?: string;
  verdict?: Verdict | 'none';
  /** Bounds on when the sample was first reported (ISO). */
  firstAfter?: string;
  firstBefore?: string;
  /** Case-insensitive match on subject or sender (plain text, no wildcards). */
  search?: string;
  /** Keyset cursor: samples first reported before this one (newest first). */
  before?: { at: string; id: string };
  limit: number;
}

/** The queue, newest first. */
export async function listQueue(db: Db, f: QueueFilter): Promise<SampleRow[]> {
  let q = db.selectFrom('report_samples').selectAll().orderBy('first_reported_at', 'desc').orderBy('id', 'desc').limit(f.limit);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.assignedTo) q = q.where('assigned_to', '=', f.assignedTo);
  if (f.campaignId) q = q.where('campaign_id', '=', f.campaignId);
  if (f.verdict === 'none') q = q.where('verdict', 'is', null);
  else if (f.verdict) q = q.where('verdict', '=', f.verdict);
  if (f.firstAfter) q = q.where('first_reported_at', '>=', f.firstAfter);
  if (f.firstBefore) q = q.where('first_reported_at', '<', f.firstBefore);
  if (f.organisationId) {
    const org = f.organisationId;
    q = q.where((eb) => eb.exists(eb.selectFrom('report_sample_links as l').select('l.sample_id').whereRef('l.sample_id', '=', 'report_samples.id').where('l.reporter_organisation_id', '=', org)));
  }
  if (f.search) {
    const s = f.search.toLowerCase();
    q = q.where((eb) => eb.or([containsText(eb.fn<string>('lower', ['subject']), s), containsText(eb.ref('from_address'), s)]));
  }
  if (f.before) {
    const b = f.before;
    q = q.where((eb) => eb.or([eb('first_reported_at', '<', b.at), eb.and([eb('first_reported_at', '=', b.at), eb('id', '<', b.id)])]));
  }
  return q.execute();
}

/** Samples by id (any that exist). */
export async function samplesByIds(db: Db, ids: readonly string[]): Promise<SampleRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('report_samples').selectAll().where('id', 'in', ids).execute();
}

/** Assigns open samples to an analyst (or unassigns with null); closed samples stay closed. Returns how many changed. */
export async function assignSamples(trx: Db, ids: readonly string[], to: { id: string; email: string } | null, at: string): Promise<number> {
  if (ids.length === 0) return 0;
  const r = await trx.updateTable('report_samples')
    .set(to ? { assigned_to: to.id, assigned_email: to.email, assigned_at: at, status: 'assigned' } : { assigned_to: null, assigned_email: null, assigned_at: null, status: 'new' })
    .where('id', 'in', ids).where('status', '!=', 'closed').executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Records a verdict on samples and closes them. Returns how many changed. */
export async function setSampleVerdicts(trx: Db, ids: readonly string[], verdict: Verdict, byEmail: string, at: string): Promise<number> {
  if (ids.length === 0) return 0;
  const r = await trx.updateTable('report_samples').set({ verdict, verdict_by: byEmail, verdict_at: at, status: 'closed' }).where('id', 'in', ids).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function insertNote(trx: Db, n: NoteRow): Promise<void> {
  await trx.insertInto('report_notes').values(n).execute();
}

export async function notesOf(db: Db, target: { sampleId?: string; campaignId?: string }): Promise<NoteRow[]> {
  let q = db.selectFrom('report_notes').selectAll().orderBy('at').orderBy('id').limit(500);
  q = target.sampleId ? q.where('sample_id', '=', target.sampleId) : q.where('campaign_id', '=', target.campaignId ?? '');
  return q.execute();
}

export async function findCampaign(db: Db, id: string): Promise<CampaignRow | undefined> {
  return db.selectFrom('report_campaigns').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The grouping keys of a campaign (why samples are in it). */
export async function campaignKeysOf(db: Db, id: string): Promise<{ kind: string; value: string }[]> {
  return db.selectFrom('report_campaign_keys').select(['kind', 'value']).where('campaign_id', '=', id).orderBy('kind').orderBy('value').execute();
}

/** Campaigns with more than one sample, or any with open samples, most recent activity first. */
export async function listCampaigns(db: Db, limit: number): Promise<(CampaignRow & { open: number; last: string | null })[]> {
  const rows = await db.selectFrom('report_campaigns as c')
    .leftJoin('report_samples as s', 's.campaign_id', 'c.id')
    .select(['c.id', 'c.created_at', 'c.label', 'c.sample_count', 'c.verdict', 'c.verdict_at', 'c.verdict_by'])
    .select((eb) => [
      eb.fn.sum<number>(eb.case().when('s.status', '!=', 'closed').then(1).else(0).end()).as('open'),
      eb.fn.max('s.last_reported_at').as('last'),
    ])
    .groupBy(['c.id', 'c.created_at', 'c.label', 'c.sample_count', 'c.verdict', 'c.verdict_at', 'c.verdict_by'])
    .orderBy('last', 'desc').limit(limit).execute();
  return rows.map((r) => ({ ...r, open: Number(r.open ?? 0), last: (r.last as string | null) ?? null }));
}

export async function setCampaignVerdict(trx: Db, id: string, verdict: Verdict, byEmail: string, at: string): Promise<void> {
  await trx.updateTable('report_campaigns').set({ verdict, verdict_by: byEmail, verdict_at: at }).where('id', '=', id).execute();
}

/** Sample ids of a campaign; only those without a verdict when `undecidedOnly`. */
export async function campaignSampleIds(db: Db, id: string, undecidedOnly: boolean): Promise<string[]> {
  let q = db.selectFrom('report_samples').select('id').where('campaign_id', '=', id);
  if (undecidedOnly) q = q.where('verdict', 'is', null);
  return (await q.execute()).map((r) => r.id);
}

/** Counts for the CSOC dashboard: new, assigned to anyone, and older than a day while open. */
export async function queueCounts(db: Db, dayAgo: string): Promise<{ new: number; assigned: number; stale: number }> {
  const r = await db.selectFrom('report_samples').select((eb) => [
    eb.fn.sum<number>(eb.case().when('status', '=', 'new').then(1).else(0).end()).as('new'),
    eb.fn.sum<number>(eb.case().when('status', '=', 'assigned').then(1).else(0).end()).as('assigned'),
    eb.fn.sum<number>(eb.case().when(eb.and([eb('status', '!=', 'closed'), eb('first_reported_at', '<', dayAgo)])).then(1).else(0).end()).as('stale'),
  ]).executeTakeFirstOrThrow();
  return { new: Number(r.new ?? 0), assigned: Number(r.assigned ?? 0), stale: Number(r.stale ?? 0) };
}

/** Organisations that have reporters, for the queue's filter (id and name). */
export async function reporterOrganisations(db: Db, limit: number): Promise<{ id: string; name: string }[]> {
  return db.selectFrom('organisations').select(['id', 'name'])
    .where((eb) => eb.exists(eb.selectFrom('reports').select('reports.id').whereRef('reports.reporter_organisation_id', '=', 'organisations.id')))
    .orderBy('name').limit(limit).execute();
}
