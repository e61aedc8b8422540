import type { CapabilityPlugin } from '../platform/http/plugin.js';
import { registerRecoveryApi } from './recovery.api.js';
import { canReviewResets, canUseConsole } from './recovery.policy.js';
import { registerRecoveryRoutes } from './recovery.routes.js';
import { reviewTasksFor } from './recovery.tasks.js';

/** Security questions, the verify-then-reset console, self-service reset and the reset review. */
export const recoveryPlugin: CapabilityPlugin = {
  name: 'recovery',
  routes: registerRecoveryRoutes,
  api: registerRecoveryApi,
  nav: [
    { href: '/recovery', text: 'Verify and reset', order: 40, header: true, visible: canUseConsole },
    { href: '/recovery/review', text: 'Reset review', order: 50, visible: canReviewResets },
  ],
  tasks: reviewTasksFor,
};
