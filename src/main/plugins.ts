import { auditPlugin } from '../audit/audit.plugin.js';
import { bulletinsPlugin } from '../bulletins/bulletins.plugin.js';
import { compromisePlugin } from '../compromise/compromise.plugin.js';
import { dashboardPlugin } from '../dashboard/dashboard.plugin.js';
import { directoryPlugin } from '../directory/directory.plugin.js';
import { gatewayPlugin } from '../gateway/gateway.plugin.js';
import { mailtipsPlugin } from '../mailtips/mailtips.plugin.js';
import { mfaPlugin } from '../mfa/mfa.plugin.js';
import { notificationsPlugin } from '../notifications/notifications.plugin.js';
import { phonesPlugin } from '../phones/phones.plugin.js';
import type { CapabilityPlugin } from '../platform/http/plugin.js';
import { recoveryPlugin } from '../recovery/recovery.plugin.js';
import { remindersPlugin } from '../reminders/reminders.plugin.js';
import { reportsPlugin } from '../reports/reports.plugin.js';
import { signinPlugin } from '../signin/signin.plugin.js';

/**
 * The composition root: every capability of the portal and API. The dashboard lists each
 * plugin's tasks in this order (links sort by their own `order`).
 */
export const PLUGINS: readonly CapabilityPlugin[] = [
  signinPlugin,
  mfaPlugin,
  dashboardPlugin,
  directoryPlugin,
  auditPlugin,
  compromisePlugin,
  phonesPlugin,
  recoveryPlugin,
  bulletinsPlugin,
  reportsPlugin,
  gatewayPlugin,
  mailtipsPlugin,
  notificationsPlugin,
  remindersPlugin,
];
