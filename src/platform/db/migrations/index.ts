import type { Migration } from 'kysely';
import * as notify from './2026-11-30T03-notify.js';

/**
 * The platform's own migrations (the outbox, job leases). Each capability keeps its own in
 * src/<cap>/migrations/; src/main/migrations.ts assembles the full list for the migrator.
 * Names are dated and never change once released.
 */
export const platformMigrations: Record<string, Migration> = {
  '2026-11-30T03-notify': notify,
};
