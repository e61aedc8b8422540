import { getOrganisationFor } from '../directory/directory.commands.js';
import { laOrganisations } from '../directory/directory.policy.js';
import type { DashboardTask, TaskSource } from '../platform/http/plugin.js';
import { reviewNagFor } from './review.commands.js';

/**
 * Dashboard tasks about the reset review: one per organisation the actor is LA of whose
 * review is due (never recorded, or older than the configured interval). Empty for everyone else.
 */
export const reviewTasksFor: TaskSource = async (db, ctx, config) => {
  if (!ctx.actor) return [];
  const tasks: DashboardTask[] = [];
  for (const id of laOrganisations(ctx.actor)) {
    const o = await getOrganisationFor(db, ctx, id);
    const nag = await reviewNagFor(db, o.id, ctx.now, config.recoveryReviewIntervalDays);
    if (!nag.due) continue;
    tasks.push({
      href: `/recovery/review?org=${o.id}`,
      text: nag.daysSince === null
        ? `Review how passwords are reset in ${o.name}: no review has been recorded yet`
        : `Review how passwords are reset in ${o.name}: the last review was ${nag.daysSince} days ago (due every ${config.recoveryReviewIntervalDays} days)`,
    });
  }
  return tasks;
};
