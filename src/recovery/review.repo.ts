import type { Db } from '../platform/db/db.js';
import type { PasswordResetTable } from './recovery.tables.js';
import type { ResetRecord } from './review.js';

/** Resets and recorded reviews: the SQL of the reset review. Every read is for one organisation. */

export async function insertReset(trx: Db, row: PasswordResetTable): Promise<void> {
  await trx.insertInto('password_resets').values(row).execute();
}

/** Resets of one organisation in [startIso, endIso), oldest first, at most `limit`. */
export async function listResets(db: Db, organisationId: string, startIso: string, endIso: string, limit: number): Promise<ResetRecord[]> {
  const rows = await db
    .selectFrom('password_resets')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .where('at', '>=', startIso)
    .where('at', '<', endIso)
    .orderBy('at')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id, at: r.at, accountId: r.account_id, accountEmail: r.account_email, accountName: r.account_name, channel: r.channel,
    agentId: r.agent_id, agentEmail: r.agent_email, agentName: r.agent_name, agentOrganisationName: r.agent_organisation_name, verificationId: r.verification_id,
    failedBefore: Number(r.failed_before), secondFactor: r.second_factor, delivery: r.delivery, ticket: r.ticket,
    privileged: Number(r.privileged) === 1, highRisk: Number(r.high_risk) === 1,
  }));
}

export interface ReviewRecord {
  id: string;
  organisationId: string;
  reviewerEmail: string;
  periodFrom: string;
  periodTo: string;
  notes: string;
  resets: number;
  flagged: number;
  createdAt: string;
}

export async function insertReview(trx: Db, r: ReviewRecord & { reviewerId: string }): Promise<void> {
  await trx
    .insertInto('reset_reviews')
    .values({
      id: r.id, organisation_id: r.organisationId, reviewer_id: r.reviewerId, reviewer_email: r.reviewerEmail, period_from: r.periodFrom, period_to: r.periodTo,
      notes: r.notes, resets: r.resets, flagged: r.flagged, created_at: r.createdAt,
    })
    .execute();
}

/** Recorded reviews of one organisation, newest first. */
export async function listReviews(db: Db, organisationId: string, limit: number): Promise<ReviewRecord[]> {
  const rows = await db.selectFrom('reset_reviews').selectAll().where('organisation_id', '=', organisationId).orderBy('created_at', 'desc').limit(limit).execute();
  return rows.map((r) => ({
    id: r.id, organisationId: r.organisation_id, reviewerEmail: r.reviewer_email, periodFrom: r.period_from, periodTo: r.period_to, notes: r.notes,
    resets: Number(r.resets), flagged: Number(r.flagged), createdAt: r.created_at,
  }));
}
