import type { Insertable, Selectable } from 'kysely';
import type { Db } from '../platform/db/db.js';
import type { CampaignKey } from './reports.js';
import type { ReportSampleLinkTable, ReportSampleTable, ReportTable } from './reports.tables.js';
import { endsWithText } from '../platform/db/like.js';

/** SQL of report intake: blobs, reports, samples, links, campaigns. Handle first. */

export type ReportRow = Selectable<ReportTable>;
export type SampleRow = Selectable<ReportSampleTable>;

/** Stores bytes under their SHA-256 unless already there (content-addressed: same bytes, one row). */
export async function putBlobs(trx: Db, blobs: readonly { sha256: string; content: Buffer }[], now: string): Promise<void> {
  const unique = [...new Map(blobs.map((b) => [b.sha256, b])).values()];
  if (unique.length === 0) return;
  await trx.insertInto('report_blobs').values(unique.map((b) => ({ sha256: b.sha256, size: b.content.length, content: b.content, created_at: now })))
    .onConflict((oc) => oc.column('sha256').doNothing()).execute();
}

/** The stored bytes, exactly as received, or null. */
export async function getBlob(db: Db, sha256: string): Promise<Buffer | null> {
  const r = await db.selectFrom('report_blobs').select('content').where('sha256', '=', sha256).executeTakeFirst();
  return r ? Buffer.from(r.content) : null;
}

export async function insertReport(trx: Db, row: Insertable<ReportTable>): Promise<void> {
  await trx.insertInto('reports').values(row).execute();
}

/** How many reports an address sent since `since` (the per-reporter limit). */
export async function countReportsSince(db: Db, reporterAddress: string, since: string): Promise<number> {
  const r = await db.selectFrom('reports').select((eb) => eb.fn.countAll<number>().as('n'))
    .where('reporter_address', '=', reporterAddress).where('received_at', '>=', since).executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function findReport(db: Db, id: string): Promise<ReportRow | undefined> {
  return db.selectFrom('reports').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Reports newest first (keyset paging on received_at, id). */
export async function listReports(db: Db, q: { before?: { at: string; id: string }; organisationId?: string; reporterAccountId?: string; limit: number }): Promise<ReportRow[]> {
  let query = db.selectFrom('reports').selectAll().orderBy('received_at', 'desc').orderBy('id', 'desc').limit(q.limit);
  if (q.organisationId) query = query.where('reporter_organisation_id', '=', q.organisationId);
  if (q.reporterAccountId) query = query.where('reporter_account_id', '=', q.reporterAccountId);
  if (q.before) {
    const b = q.before;
    query = query.where((eb) => eb.or([eb('received_at', '<', b.at), eb.and([eb('received_at', '=', b.at), eb('id', '<', b.id)])]));
  }
  return query.execute();
}

/** The samples these reports carried, in order, with the report each came in. */
export async function samplesOfReports(db: Db, reportIds: readonly string[]): Promise<(SampleRow & { position: number; report_id: string })[]> {
  if (reportIds.length === 0) return [];
  return db.selectFrom('report_sample_links as l').innerJoin('report_samples as s', 's.id', 'l.sample_id')
    .selectAll('s').select(['l.position', 'l.report_id']).where('l.report_id', 'in', reportIds).orderBy('l.report_id').orderBy('l.position').execute();
}

export async function findSampleBySha(db: Db, sha256: string): Promise<SampleRow | undefined> {
  return db.selectFrom('report_samples').selectAll().where('sha256', '=', sha256).executeTakeFirst();
}

export async function findSample(db: Db, id: string): Promise<SampleRow | undefined> {
  return db.selectFrom('report_samples').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Inserts a new sample; false when another request stored the same bytes first. */
export async function insertSample(trx: Db, row: Insertable<ReportSampleTable>): Promise<boolean> {
  const r = await trx.insertInto('report_samples').values(row).onConflict((oc) => oc.column('sha256').doNothing()).executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Counts one more report of an already-known sample. */
export async function touchSample(trx: Db, id: string, now: string): Promise<void> {
  await trx.updateTable('report_samples')
    .set((eb) => ({ report_count: eb('report_count', '+', 1), last_reported_at: now }))
    .where('id', '=', id).execute();
}

export async function linkSample(trx: Db, row: Insertable<ReportSampleLinkTable>): Promise<void> {
  await trx.insertInto('report_sample_links').values(row).execute();
}

/** Who reported these samples: one row per report, with the reporter's account (and its address) if known. */
export async function reportersOf(db: Db, sampleIds: readonly string[]): Promise<{
  sample_id: string; report_id: string; reporter_address: string; reporter_account_id: string | null; reporter_organisation_id: string | null;
  reporter_verified: number; received_at: string; via: string; account_email: string | null;
}[]> {
  if (sampleIds.length === 0) return [];
  return db.selectFrom('report_sample_links as l').innerJoin('reports as r', 'r.id', 'l.report_id')
    .leftJoin('accounts as a', 'a.id', 'r.reporter_account_id')
    .select(['l.sample_id', 'r.id as report_id', 'r.reporter_address', 'r.reporter_account_id', 'r.reporter_organisation_id', 'r.reporter_verified', 'r.received_at', 'r.via', 'a.email as account_email'])
    .where('l.sample_id', 'in', sampleIds).orderBy('r.received_at').limit(5000).execute();
}

const keyOf = (k: CampaignKey): string => `${k.kind}:${k.value}`;

/** The oldest campaign that owns one of these keys, if any. */
export async function campaignForKeys(db: Db, keys: readonly CampaignKey[]): Promise<string | null> {
  if (keys.length === 0) return null;
  const r = await db.selectFrom('report_campaign_keys as k').innerJoin('report_campaigns as c', 'c.id', 'k.campaign_id')
    .select('c.id').where('k.key', 'in', keys.map(keyOf)).orderBy('c.created_at').orderBy('c.id').limit(1).executeTakeFirst();
  return r?.id ?? null;
}

/** A new campaign, counting its first sample. */
export async function insertCampaign(trx: Db, c: { id: string; label: string; now: string }): Promise<void> {
  await trx.insertInto('report_campaigns').values({ id: c.id, created_at: c.now, label: c.label, sample_count: 1, verdict: null, verdict_at: null, verdict_by: null }).execute();
}

/** Removes a campaign made for a sample another request stored first (it has no samples). */
export async function dropEmptyCampaign(trx: Db, id: string): Promise<void> {
  await trx.deleteFrom('report_campaigns').where('id', '=', id).execute();
}

/** Claims keys for a campaign; keys another campaign already owns stay with it. */
export async function claimCampaignKeys(trx: Db, campaignId: string, keys: readonly CampaignKey[]): Promise<void> {
  if (keys.length === 0) return;
  await trx.insertInto('report_campaign_keys').values(keys.map((k) => ({ key: keyOf(k), kind: k.kind, value: k.value, campaign_id: campaignId })))
    .onConflict((oc) => oc.column('key').doNothing()).execute();
}

export async function bumpCampaign(trx: Db, campaignId: string): Promise<void> {
  await trx.updateTable('report_campaigns').set((eb) => ({ sample_count: eb('sample_count', '+', 1) })).where('id', '=', campaignId).execute();
}

/** An account by address (for reporters and internal senders): id, organisation, status. */
export async function accountByEmail(db: Db, email: string): Promise<{ id: string; organisation_id: string; email: string } | undefined> {
  return db.selectFrom('accounts').select(['id', 'organisation_id', 'email']).where('email', '=', email.toLowerCase()).executeTakeFirst();
}

export async function accountById(db: Db, id: string): Promise<{ id: string; organisation_id: string; email: string } | undefined> {
  return db.selectFrom('accounts').select(['id', 'organisation_id', 'email']).where('id', '=', id).executeTakeFirst();
}

/** Which of these domains belong to an organisation of the platform. */
export async function organisationDomainsAmong(db: Db, domains: readonly string[]): Promise<string[]> {
  if (domains.length === 0) return [];
  return (await db.selectFrom('organisation_domains').select('domain').where('domain', 'in', domains).execute()).map((r) => r.domain);
}

/** Organisation domains equal to or below `domain` (a block on it would catch the platform's own mail). */
export async function organisationDomainsUnder(db: Db, domain: string): Promise<string[]> {
  return (await db.selectFrom('organisation_domains').select('domain')
    .where((eb) => eb.or([eb('domain', '=', domain), endsWithText(eb.ref('domain'), `.${domain}`)])).limit(5).execute()).map((r) => r.domain);
}

/** Organisations by id (names for the queue's reporter-organisation column and filter). */
export async function organisationNames(db: Db, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('organisations').select(['id', 'name']).where('id', 'in', [...new Set(ids)]).execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}
