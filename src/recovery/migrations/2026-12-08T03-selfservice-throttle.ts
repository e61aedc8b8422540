import type { Kysely } from 'kysely';

/**
 * Self-service reset's own failure counters, apart from the verification lock of the
 * helpdesk and LA console: one row per keyed hash of an address typed on the page, and one
 * per keyed hash of a client address. An address row also holds the made-up challenge shown
 * for it when it does not lead to a real challenge, once that has been re-rolled.
 * Frozen once released: Kysely<any>, no app code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('recovery_self_service')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('window_started_at', 'text', (c) => c.notNull())
    .addColumn('challenge_id', 'text')
    .addColumn('positions', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('recovery_self_service').execute();
}
