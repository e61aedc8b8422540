import { auditReadScope, scopeIsEmpty } from '../directory/directory.policy.js';
import type { CapabilityPlugin } from '../platform/http/plugin.js';
import { registerAuditRoutes } from './audit.routes.js';

/** The audit log. */
export const auditPlugin: CapabilityPlugin = {
  name: 'audit',
  routes: registerAuditRoutes,
  nav: [{ href: '/audit', text: 'Audit log', order: 130, header: true, visible: (actor) => !scopeIsEmpty(auditReadScope(actor)) }],
};
