import type { CapabilityPlugin } from '../platform/http/plugin.js';
import { canRunSweep, canViewDisabledList } from './phones.policy.js';
import { registerPhoneRoutes } from './phones.routes.js';
import { phoneTasksFor } from './phones.tasks.js';

/** The UK-mobile rule's portal side: the sweep and LA remediation. */
export const phonesPlugin: CapabilityPlugin = {
  name: 'phones',
  routes: registerPhoneRoutes,
  nav: [
    { href: '/phones/disabled', text: 'Non-UK mobiles', order: 70, visible: canViewDisabledList },
    { href: '/phones/sweeps', text: 'Mobile number sweep', order: 80, visible: canRunSweep },
  ],
  tasks: (db, ctx) => phoneTasksFor(db, ctx),
};
