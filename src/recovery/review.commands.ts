import { recordAudit } from '../audit/audit.commands.js';
import type { Organisation } from '../directory/directory.js';
import { laOrganisations } from '../directory/directory.policy.js';
import { findOrganisation } from '../directory/directory.repo.js';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { Forbidden, Invalid, NotFound } from '../platform/errors/errors.js';
import { newId } from '../platform/ids.js';
import { authorizeReviewRead, authorizeReviewRecord, canRecordReview, canReviewResets } from './recovery.policy.js';
import { type FlaggedReset, flagResets, parsePeriod, type Period, parseWorkingHours, reviewDue } from './review.js';
import { insertReview, listResets, listReviews, type ReviewRecord } from './review.repo.js';
import { requireActor } from './console.commands.js';
import type { RecoverySettings } from './verification.commands.js';

/** The LAs' reset review: every reset in their organisation over a period, flagged; CSV; recorded sign-off. */

/** Most resets one review shows or exports (a larger period is cut, and says so). */
export const REVIEW_LIMIT = 10_000;

export interface ResetReview {
  organisation: Organisation;
  period: Period;
  rows: FlaggedReset[];
  flagged: number;
  truncated: boolean;
  reviews: ReviewRecord[];
  due: boolean;
  daysSince: number | null;
  canRecord: boolean;
}

/** The organisation to review: the one asked for, else the actor's first as an LA. @throws NotFound, Forbidden */
function organisationFor(ctx: Ctx, organisationId: string | undefined): string {
  const actor = requireActor(ctx);
  const id = organisationId ?? laOrganisations(actor)[0];
  if (!id) throw new NotFound('Choose an organisation to review.');
  authorizeReviewRead(actor, id);
  return id;
}

/**
 * The organisations the actor reviews as an LA (the review page's choices). Refuses an
 * actor who may review no resets at all, so the page is refused like its actions.
 * @throws Forbidden
 */
export async function reviewOrganisationChoices(db: Db, ctx: Ctx): Promise<Organisation[]> {
  const actor = requireActor(ctx);
  if (!canReviewResets(actor)) throw new Forbidden();
  const orgs = await Promise.all(laOrganisations(actor).map((id) => findOrganisation(db, id, { all: true })));
  return orgs.filter((o) => o !== undefined);
}

function periodOrThrow(from: string | undefined, to: string | undefined, now: Date, days: number): Period {
  const p = parsePeriod(from, to, now, days);
  if ('problems' in p) throw new Invalid('Check the period.', p.problems);
  return p.period;
}

async function flaggedResets(db: Db, settings: RecoverySettings, organisationId: string, period: Period): Promise<{ rows: FlaggedReset[]; truncated: boolean }> {
  const raw = await listResets(db, organisationId, period.startIso, period.endIso, REVIEW_LIMIT + 1);
  const rows = flagResets(raw.slice(0, REVIEW_LIMIT), {
    workingHours: parseWorkingHours(settings.recoveryWorkingHours, settings.recoveryTimeZone), unusualPerDay: settings.recoveryUnusualVolumePerDay,
  });
  return { rows, truncated: raw.length > REVIEW_LIMIT };
}

/**
 * Every reset of one organisation in a period with its flags, the recorded reviews and
 * whether one is due. @throws NotFound (organisation outside scope), Forbidden, Invalid (period)
 */
export async function resetReview(db: Db, ctx: Ctx, settings: RecoverySettings, q: { organisationId?: string; from?: string; to?: string }): Promise<ResetReview> {
  const orgId = organisationFor(ctx, q.organisationId);
  const organisation = await findOrganisation(db, orgId, { all: true });
  if (!organisation) throw new NotFound();
  const period = periodOrThrow(q.from, q.to, ctx.now, settings.recoveryReviewIntervalDays);
  const { rows, truncated } = await flaggedResets(db, settings, orgId, period);
  const reviews = await listReviews(db, orgId, 20);
  const due = reviewDue(reviews[0]?.createdAt ?? null, ctx.now, settings.recoveryReviewIntervalDays);
  return {
    organisation, period, rows, flagged: rows.filter((r) => r.flags.length).length, truncated, reviews, ...due, canRecord: canRecordReview(requireActor(ctx), orgId),
  };
}

/** The same rows for CSV; the export itself is audited. @throws as resetReview */
export async function exportResetReview(db: Db, ctx: Ctx, settings: RecoverySettings, q: { organisationId?: string; from?: string; to?: string }): Promise<{ organisation: Organisation; period: Period; rows: FlaggedReset[] }> {
  const orgId = organisationFor(ctx, q.organisationId);
  const organisation = await findOrganisation(db, orgId, { all: true });
  if (!organisation) throw new NotFound();
  const period = periodOrThrow(q.from, q.to, ctx.now, settings.recoveryReviewIntervalDays);
  const { rows } = await flaggedResets(db, settings, orgId, period);
  await db.transaction().execute((trx) => recordAudit(trx, ctx, { action: 'recovery.review.export', organisationId: orgId, target: `organisation:${orgId}`, details: { from: period.from, to: period.to, rows: rows.length } }));
  return { organisation, period, rows };
}

/**
 * Records that an LA reviewed the resets of their organisation over a period, with notes.
 * @throws Invalid (period, notes), NotFound, Forbidden (not an LA of the organisation)
 */
export async function recordReview(db: Db, ctx: Ctx, settings: RecoverySettings, input: { organisationId: string; from: string; to: string; notes: string }): Promise<ReviewRecord> {
  const actor = requireActor(ctx);
  authorizeReviewRecord(actor, input.organisationId);
  const period = periodOrThrow(input.from, input.to, ctx.now, settings.recoveryReviewIntervalDays);
  const notes = input.notes.trim();
  if (notes.length > 4000) throw new Invalid('The review was not recorded.', ['Keep the notes to 4,000 characters or fewer.']);
  if (period.from > ctx.now.toISOString().slice(0, 10)) throw new Invalid('The review was not recorded.', ['The period cannot start in the future.']);
  const { rows } = await flaggedResets(db, settings, input.organisationId, period);
  const review: ReviewRecord = {
    id: newId(ctx.now.getTime()), organisationId: input.organisationId, reviewerEmail: actor.email, periodFrom: period.from, periodTo: period.to, notes,
    resets: rows.length, flagged: rows.filter((r) => r.flags.length).length, createdAt: ctx.now.toISOString(),
  };
  await db.transaction().execute(async (trx) => {
    await insertReview(trx, { ...review, reviewerId: actor.accountId });
    await recordAudit(trx, ctx, {
      action: 'recovery.review.record', organisationId: input.organisationId, target: `organisation:${input.organisationId}`,
      details: { reviewId: review.id, from: period.from, to: period.to, resets: review.resets, flagged: review.flagged },
    });
  });
  return review;
}

/** The organisation's last recorded review, or null (for the dashboard). */
export async function lastReviewFor(db: Db, organisationId: string): Promise<ReviewRecord | null> {
  return (await listReviews(db, organisationId, 1))[0] ?? null;
}

/**
 * For the dashboard nag: when the organisation's resets were last reviewed and whether a
 * review is due (never, or older than the interval; default 90 days).
 */
export async function reviewNagFor(db: Db, organisationId: string, now: Date, intervalDays: number): Promise<{ lastReview: ReviewRecord | null; due: boolean; daysSince: number | null }> {
  const lastReview = await lastReviewFor(db, organisationId);
  return { lastReview, ...reviewDue(lastReview?.createdAt ?? null, now, intervalDays) };
}
