import type { CapabilityPlugin } from '../platform/http/plugin.js';
import { registerReminderRoutes } from './reminders.routes.js';

/** Password lifetime and expiry reminders. */
export const remindersPlugin: CapabilityPlugin = {
  name: 'reminders',
  routes: registerReminderRoutes,
};
