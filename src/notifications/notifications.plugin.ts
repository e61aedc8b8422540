import { countByStatus } from './history.repo.js';
import { canViewOutbox } from './notifications.policy.js';
import { registerNotificationRoutes } from './notifications.routes.js';
import type { CapabilityPlugin } from '../platform/http/plugin.js';

/** Messages sent to the person signed in, and the outbox for platform admins. */
export const notificationsPlugin: CapabilityPlugin = {
  name: 'notifications',
  routes: registerNotificationRoutes,
  nav: [
    { href: '/outbox', text: 'Outbox', order: 120, visible: canViewOutbox },
    { href: '/notifications', text: 'Messages to you', order: 140, visible: () => true },
  ],
  async tasks(db, ctx) {
    if (!ctx.actor || !canViewOutbox(ctx.actor)) return [];
    const failed = (await countByStatus(db)).failed;
    return failed > 0 ? [{ href: '/outbox?status=failed', text: `${failed} notification${failed === 1 ? '' : 's'} could not be sent` }] : [];
  },
};
