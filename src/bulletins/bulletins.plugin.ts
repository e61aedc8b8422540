import type { CapabilityPlugin } from '../platform/http/plugin.js';
import { unreadBulletins } from './bulletins.commands.js';
import { canReadBulletins } from './bulletins.policy.js';
import { registerBulletinRoutes } from './bulletins.routes.js';

/** LA bulletins. */
export const bulletinsPlugin: CapabilityPlugin = {
  name: 'bulletins',
  routes: registerBulletinRoutes,
  nav: [{ href: '/bulletins', text: 'Bulletins', order: 110, visible: canReadBulletins }],
  async tasks(db, ctx) {
    const unread = await unreadBulletins(db, ctx);
    return unread > 0 ? [{ href: '/bulletins', text: `${unread} unread bulletin${unread === 1 ? '' : 's'}` }] : [];
  },
};
