import type { NotifyTables } from '../notify/notify.tables.js';

/**
 * Table types as the application sees them. Times are ISO-8601 UTC strings
 * (`2026-01-01T09:00:00.000Z`): they sort correctly as text in both databases.
 * Booleans are 0/1 integers in both databases.
 */
export interface AppStateTable {
  key: string;
  value: string;
}

/**
 * Every table. The platform's own are here (the outbox and job leases from notify.tables.ts,
 * app_state); each capability adds its tables from its own `*.tables.ts` by interface merging:
 *   declare module '../platform/db/schema.js' { interface Database extends XTables {} }
 * so this file imports no capability.
 */
export interface Database extends NotifyTables {
  app_state: AppStateTable;
}
