import type { CapabilityPlugin } from '../platform/http/plugin.js';
import { ROLE_LABELS } from './directory.js';
import { registerDirectoryApi } from './directory.api.js';
import { accountReadScope, organisationReadScope, scopeIsEmpty } from './directory.policy.js';
import { registerDirectoryRoutes } from './directory.routes.js';

/** Organisations, accounts and roles. */
export const directoryPlugin: CapabilityPlugin = {
  name: 'directory',
  routes: registerDirectoryRoutes,
  api: registerDirectoryApi,
  nav: [
    { href: '/organisations', text: 'Organisations', order: 10, header: true, visible: (actor) => !scopeIsEmpty(organisationReadScope(actor)) },
    { href: '/accounts', text: 'Accounts', order: 20, header: true, visible: (actor) => !scopeIsEmpty(accountReadScope(actor)) },
  ],
  roleLabels: ROLE_LABELS,
};
