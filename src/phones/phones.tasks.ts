import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import type { DashboardTask } from '../platform/http/plugin.js';
import { countDisabledFor, listSweepRunsFor } from './phones.commands.js';
import { canRunSweep } from './phones.policy.js';

/**
 * Dashboard tasks about mobile numbers, for the integrator's dashboard: LAs (and platform
 * admins) get the accounts disabled for a non-UK number that they can fix; platform admins
 * also get an interrupted sweep to resume. Empty for everyone else.
 */
export async function phoneTasksFor(db: Db, ctx: Ctx): Promise<DashboardTask[]> {
  if (!ctx.actor) return [];
  const tasks: DashboardTask[] = [];
  const disabled = await countDisabledFor(db, ctx);
  if (disabled) {
    tasks.push({ href: '/phones/disabled', text: `${disabled} account${disabled === 1 ? ' is' : 's are'} disabled because the mobile number is not a UK mobile: give ${disabled === 1 ? 'it' : 'them'} a UK number`, urgent: false });
  }
  if (canRunSweep(ctx.actor)) {
    const interrupted = (await listSweepRunsFor(db, ctx)).find((r) => r.interrupted);
    if (interrupted) tasks.push({ href: `/phones/sweeps/${interrupted.id}`, text: 'A mobile number sweep was interrupted: resume it', urgent: true });
  }
  return tasks;
}
