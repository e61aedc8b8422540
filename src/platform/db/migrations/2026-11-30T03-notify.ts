import type { Kysely } from 'kysely';

/**
 * The notification outbox, job leases, password lifetime and reminder bookkeeping, LA
 * bulletins. Frozen once released: Kysely<any>, no application imports.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('notifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('template', 'text', (c) => c.notNull())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text')
    .addColumn('organisation_id', 'text')
    .addColumn('payload_enc', 'text')
    .addColumn('subject', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('dedupe_key', 'text', (c) => c.unique())
    .addColumn('locked_by', 'text')
    .addColumn('locked_until', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    .addColumn('provider_ref', 'text')
    .execute();
  await db.schema.createIndex('notifications_due').on('notifications').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('notifications_account').on('notifications').columns(['account_id', 'created_at']).execute();
  await db.schema.createIndex('notifications_org').on('notifications').columns(['organisation_id', 'created_at']).execute();
  await db.schema.createIndex('notifications_status_created').on('notifications').columns(['status', 'created_at']).execute();

  // One row per background job: the node holding an unexpired lease runs it.
  await db.schema
    .createTable('job_leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('locked_by', 'text')
    .addColumn('locked_until', 'text')
    .addColumn('last_run_at', 'text')
    .execute();

  // Password lifetime per organisation in days; NULL turns expiry (and reminders) off.
  await db.schema.alterTable('organisations').addColumn('password_lifetime_days', 'integer', (c) => c.defaultTo(365)).execute();
  // The reminder job scans accounts by when their password was set.
  await db.schema.createIndex('accounts_password_changed_at').on('accounts').columns(['password_changed_at']).execute();
  // One row per reminder ever scheduled: (account, password, lifetime, mark) is sent once.
  await db.schema
    .createTable('password_reminders')
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('password_changed_at', 'text', (c) => c.notNull())
    .addColumn('lifetime_days', 'integer', (c) => c.notNull())
    .addColumn('days_before', 'integer', (c) => c.notNull())
    .addColumn('notification_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('password_reminders_pk', ['account_id', 'password_changed_at', 'lifetime_days', 'days_before'])
    .execute();

  await db.schema
    .createTable('bulletins')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('body_md', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('published_at', 'text')
    .addColumn('published_by', 'text')
    .execute();
  await db.schema.createIndex('bulletins_status_published').on('bulletins').columns(['status', 'published_at']).execute();
  await db.schema
    .createTable('bulletin_reads')
    .addColumn('bulletin_id', 'text', (c) => c.notNull().references('bulletins.id').onDelete('cascade'))
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('read_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('bulletin_reads_pk', ['bulletin_id', 'account_id'])
    .execute();
  await db.schema.createIndex('bulletin_reads_account').on('bulletin_reads').columns(['account_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('bulletin_reads').execute();
  await db.schema.dropTable('bulletins').execute();
  await db.schema.dropTable('password_reminders').execute();
  await db.schema.dropIndex('accounts_password_changed_at').execute();
  await db.schema.alterTable('organisations').dropColumn('password_lifetime_days').execute();
  await db.schema.dropTable('job_leases').execute();
  await db.schema.dropTable('notifications').execute();
}
