import type { Selectable } from 'kysely';
import type { Db } from '../platform/db/db.js';
import type { CertSubmissionTable } from './reports.tables.js';

/** SQL of CERT submissions and the per-sample claim that prevents a second one by mistake. Handle first. */

export type SubmissionRow = Selectable<CertSubmissionTable>;

/** The submission each sample is currently claimed by (null: never submitted). */
export async function currentClaims(db: Db, ids: readonly string[]): Promise<Map<string, string | null>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('report_samples').select(['id', 'cert_submission_id']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r.cert_submission_id]));
}

/**
 * Claims samples for a submission with one conditional UPDATE: without `force`, only
 * samples no submission holds. Two analysts submitting the same sample at once cannot
 * both win. Returns how many were claimed.
 */
export async function claimSamples(trx: Db, ids: readonly string[], submissionId: string, force: boolean): Promise<number> {
  let q = trx.updateTable('report_samples').set({ cert_submission_id: submissionId }).where('id', 'in', ids);
  if (!force) q = q.where('cert_submission_id', 'is', null);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Gives samples back to the submission that held them before (after a failed send). */
export async function releaseClaims(trx: Db, submissionId: string, previous: ReadonlyMap<string, string | null>): Promise<void> {
  for (const [id, prev] of previous) {
    await trx.updateTable('report_samples').set({ cert_submission_id: prev }).where('id', '=', id).where('cert_submission_id', '=', submissionId).execute();
  }
}

export async function insertSubmission(trx: Db, row: SubmissionRow, samples: readonly { id: string; sha256: string }[]): Promise<void> {
  await trx.insertInto('cert_submissions').values(row).execute();
  await trx.insertInto('cert_submission_samples').values(samples.map((s) => ({ submission_id: row.id, sample_id: s.id, sha256: s.sha256 }))).execute();
}

export async function finishSubmission(trx: Db, id: string, outcome: { status: 'sent' | 'failed'; messageId?: string; error?: string }): Promise<void> {
  await trx.updateTable('cert_submissions').set({ status: outcome.status, message_id: outcome.messageId ?? null, error: outcome.error ?? null }).where('id', '=', id).execute();
}

export async function findSubmission(db: Db, id: string): Promise<SubmissionRow | undefined> {
  return db.selectFrom('cert_submissions').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Submissions newest first; those that included a sample when `sampleId` is given. */
export async function listSubmissions(db: Db, q: { sampleId?: string; limit: number }): Promise<SubmissionRow[]> {
  let query = db.selectFrom('cert_submissions').selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(q.limit);
  if (q.sampleId) {
    const id = q.sampleId;
    query = query.where((eb) => eb.exists(eb.selectFrom('cert_submission_samples as cs').select('cs.sample_id').whereRef('cs.submission_id', '=', 'cert_submissions.id').where('cs.sample_id', '=', id)));
  }
  return query.execute();
}

