import type { CapabilityPlugin } from '../platform/http/plugin.js';
import { registerDashboardRoutes } from './dashboard.routes.js';

/** The home page: each capability's tasks and tools for the person signed in. */
export const dashboardPlugin: CapabilityPlugin = {
  name: 'dashboard',
  routes: registerDashboardRoutes,
  nav: [{ href: '/', text: 'Dashboard', order: 0, header: true, visible: () => true }],
};
