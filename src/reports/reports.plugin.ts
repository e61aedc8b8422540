import type { CapabilityPlugin } from '../platform/http/plugin.js';
import { registerReportApi } from './reports.api.js';
import { canTriage } from './reports.policy.js';
import { registerReportRoutes } from './reports.routes.js';
import { queueSummaryFor } from './triage.commands.js';

/** Phishing reports: upload, the CSOC's queue and triage. */
export const reportsPlugin: CapabilityPlugin = {
  name: 'reports',
  routes: registerReportRoutes,
  api: registerReportApi,
  nav: [
    { href: '/reports', text: 'Phishing reports', order: 90, header: true, visible: canTriage },
    { href: '/reports/upload', text: 'Report phishing', order: 150, visible: () => true },
  ],
  async tasks(db, ctx) {
    if (!ctx.actor || !canTriage(ctx.actor)) return [];
    const q = await queueSummaryFor(db, ctx);
    if (q.new === 0) return [];
    return [{ href: '/reports?status=new', text: `${q.new} new phishing report${q.new === 1 ? '' : 's'} to triage${q.stale > 0 ? ` (${q.stale} open for more than a day)` : ''}` }];
  },
};
