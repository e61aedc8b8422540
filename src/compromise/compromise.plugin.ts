import type { CapabilityPlugin } from '../platform/http/plugin.js';
import { registerCompromiseApi } from './compromise.api.js';
import { canViewCases } from './compromise.policy.js';
import { registerCompromiseRoutes } from './compromise.routes.js';
import { compromiseTasksFor } from './compromise.tasks.js';

/** Compromised accounts: marking, cases and their checklist. */
export const compromisePlugin: CapabilityPlugin = {
  name: 'compromise',
  routes: registerCompromiseRoutes,
  api: registerCompromiseApi,
  nav: [{ href: '/compromise', text: 'Compromised accounts', order: 60, visible: canViewCases }],
  tasks: (db, ctx, config) => compromiseTasksFor(db, ctx, config.compromiseEscalationHours),
};
