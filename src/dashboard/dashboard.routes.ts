import type { FastifyInstance } from 'fastify';
import { laOrganisations } from '../directory/directory.policy.js';
import { getOrganisationFor } from '../directory/directory.commands.js';
import type { RouteDeps } from '../platform/http/plugin.js';
import { ctxOf } from '../platform/http/ctx.js';
import { navFor, renderPage } from '../platform/http/render.js';
import { unreadBulletins } from '../bulletins/bulletins.commands.js';
import { countByStatus } from '../platform/notify/history.repo.js';
import { canViewOutbox } from '../platform/notify/notify.policy.js';
import { reviewNagFor } from '../recovery/review.commands.js';
import { canTriage } from '../reports/reports.policy.js';
import { compromiseTasksFor } from '../compromise/compromise.tasks.js';
import { phoneTasksFor } from '../phones/phones.tasks.js';
import { countHeldFor } from '../gateway/gateway.commands.js';
import { canViewQuarantine } from '../gateway/gateway.policy.js';
import { queueSummaryFor } from '../reports/triage.commands.js';

/**
 * The home page: what each role can do from here. LAs see their organisations with
 * account counts; the platform roles get their tools; everyone sees their own account.
 */
export function registerDashboardRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  app.get('/', async (req, reply) => {
    const actor = req.actor!;
    const ctx = ctxOf(req, clock.now());
    const laOrgs = await Promise.all(laOrganisations(actor).map((id) => getOrganisationFor(db, ctx, id)));
    const roles = new Set(actor.roles.map((g) => g.role));
    // Tasks: things waiting for this person, each linking to where it is done.
    const tasks: { href: string; text: string; urgent?: boolean }[] = [
      ...(await compromiseTasksFor(db, ctx, config.compromiseEscalationHours)),
      ...(await phoneTasksFor(db, ctx)),
    ];
    for (const o of laOrgs) {
      const nag = await reviewNagFor(db, o.id, clock.now(), config.recoveryReviewIntervalDays);
      if (nag.due) {
        tasks.push({
          href: `/recovery/review?org=${o.id}`,
          text: nag.daysSince === null
            ? `Review how passwords are reset in ${o.name}: no review has been recorded yet`
            : `Review how passwords are reset in ${o.name}: the last review was ${nag.daysSince} days ago (due every ${config.recoveryReviewIntervalDays} days)`,
        });
      }
    }
    const unread = await unreadBulletins(db, ctx);
    if (unread > 0) tasks.push({ href: '/bulletins', text: `${unread} unread bulletin${unread === 1 ? '' : 's'}` });
    if (canTriage(actor)) {
      const q = await queueSummaryFor(db, ctx);
      if (q.new > 0) tasks.push({ href: '/reports?status=new', text: `${q.new} new phishing report${q.new === 1 ? '' : 's'} to triage${q.stale > 0 ? ` (${q.stale} open for more than a day)` : ''}` });
    }
    if (canViewQuarantine(actor)) {
      const heldCount = await countHeldFor(db, ctx);
      if (heldCount > 0) tasks.push({ href: '/quarantine', text: `${heldCount} message${heldCount === 1 ? '' : 's'} held in quarantine` });
    }
    if (canViewOutbox(actor)) {
      const failed = (await countByStatus(db)).failed;
      if (failed > 0) tasks.push({ href: '/outbox?status=failed', text: `${failed} notification${failed === 1 ? '' : 's'} could not be sent` });
    }
    return renderPage(req, reply, config, 'dashboard/views/dashboard.njk', {
      account: req.account,
      laOrgs,
      tasks,
      isPlatformAdmin: roles.has('platform-admin'),
      isHelpdesk: roles.has('helpdesk'),
      isCsoc: roles.has('csoc'),
      tools: navFor(req).filter((i) => i.href !== '/' && i.href !== '/security'),
      changed: (req.query as Record<string, unknown>).changed === '1',
    });
  });
}
