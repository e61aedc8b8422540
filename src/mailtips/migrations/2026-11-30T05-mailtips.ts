import type { Kysely } from 'kysely';

/**
 * Sender history of the safety MailTips: known (recipient, sender) pairs and messages per
 * sender per day, both keyed by keyed hashes (never addresses).
 * Frozen once released: uses Kysely<any> and imports no application code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('mailtips_pairs')
    .addColumn('pair_key', 'text', (c) => c.primaryKey())
    .addColumn('first_seen', 'text', (c) => c.notNull())
    .addColumn('last_seen', 'text', (c) => c.notNull())
    .execute();
  // The retention purge deletes by last_seen.
  await db.schema.createIndex('mailtips_pairs_last_seen').on('mailtips_pairs').column('last_seen').execute();

  await db.schema
    .createTable('mailtips_sender_days')
    .addColumn('sender_key', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('messages', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('mailtips_sender_days_pk', ['sender_key', 'day'])
    .execute();
  await db.schema.createIndex('mailtips_sender_days_day').on('mailtips_sender_days').column('day').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('mailtips_sender_days').ifExists().execute();
  await db.schema.dropTable('mailtips_pairs').ifExists().execute();
}
