import type { CapabilityPlugin } from '../platform/http/plugin.js';
import { countHeldFor } from './gateway.commands.js';
import { canViewQuarantine } from './gateway.policy.js';
import { registerGatewayRoutes } from './gateway.routes.js';

/** The SMTP gateway's portal side: quarantine. */
export const gatewayPlugin: CapabilityPlugin = {
  name: 'gateway',
  routes: registerGatewayRoutes,
  nav: [{ href: '/quarantine', text: 'Quarantine', order: 100, visible: canViewQuarantine }],
  async tasks(db, ctx) {
    if (!ctx.actor || !canViewQuarantine(ctx.actor)) return [];
    const held = await countHeldFor(db, ctx);
    return held > 0 ? [{ href: '/quarantine', text: `${held} message${held === 1 ? '' : 's'} held in quarantine` }] : [];
  },
};
