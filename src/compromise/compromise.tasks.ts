import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import type { DashboardTask } from '../platform/http/plugin.js';
import { isOverdue, ageText } from './compromise.js';
import { canMarkCompromised, caseScope } from './compromise.policy.js';
import { countOpenSuspicions, listCases } from './compromise.repo.js';

/**
 * Dashboard tasks about compromised accounts, for the integrator's dashboard: LAs get one
 * task per open case in their organisations ("work the case"), the CSOC and platform
 * admins get the review queue and the overdue cases. Empty for everyone else.
 */
export async function compromiseTasksFor(db: Db, ctx: Ctx, escalationHours: number): Promise<DashboardTask[]> {
  const actor = ctx.actor;
  if (!actor) return [];
  const tasks: DashboardTask[] = [];
  if (canMarkCompromised(actor)) {
    const suspicions = await countOpenSuspicions(db);
    if (suspicions) tasks.push({ href: '/compromise/suspected', text: `${suspicions} suspected compromise${suspicions === 1 ? '' : 's'} to review`, urgent: false });
    const open = await listCases(db, { all: true }, { status: 'open', limit: 1000 });
    const overdue = open.filter((c) => isOverdue(c.flaggedAt, ctx.now, escalationHours)).length;
    if (overdue) tasks.push({ href: '/compromise', text: `${overdue} compromised-account case${overdue === 1 ? ' has' : 's have'} been open longer than ${escalationHours} hours`, urgent: true });
    return tasks;
  }
  const scope = caseScope(actor);
  if (!scope.all && !scope.organisationIds.length) return [];
  for (const c of await listCases(db, scope, { status: 'open', limit: 50 })) {
    tasks.push({
      href: `/compromise/cases/${c.id}`,
      text: `${c.email} was marked compromised ${ageText(c.flaggedAt, ctx.now)} ago: work the case`,
      urgent: isOverdue(c.flaggedAt, ctx.now, escalationHours),
    });
  }
  return tasks;
}
