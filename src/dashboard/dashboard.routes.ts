import type { FastifyInstance } from 'fastify';
import { laOrganisations } from '../directory/directory.policy.js';
import { getOrganisationFor } from '../directory/directory.commands.js';
import type { DashboardTask, RouteDeps } from '../platform/http/plugin.js';
import { ctxOf } from '../platform/http/ctx.js';
import { navFor, renderPage } from '../platform/http/render.js';

/**
 * The home page: what each role can do from here. LAs see their organisations with
 * account counts; the platform roles get their tools; everyone sees their own account.
 * Tasks and tools come from the capability plugins (`req.server.capabilities`).
 */
export function registerDashboardRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  app.get('/', async (req, reply) => {
    const actor = req.actor!;
    const ctx = ctxOf(req, clock.now());
    const laOrgs = await Promise.all(laOrganisations(actor).map((id) => getOrganisationFor(db, ctx, id)));
    const roles = new Set(actor.roles.map((g) => g.role));
    // Tasks: things waiting for this person, each linking to where it is done; each
    // capability's plugin says which of its tasks are this actor's.
    const tasks: DashboardTask[] = [];
    for (const source of req.server.capabilities.tasks) tasks.push(...(await source(db, ctx, config)));
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
