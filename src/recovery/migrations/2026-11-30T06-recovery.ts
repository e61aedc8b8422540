import type { Kysely } from 'kysely';

/**
 * Security questions, verification challenges and records, the verification lock, resets
 * and LA reset reviews. Frozen once released: uses Kysely<any> and imports no application code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('security_questions')
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('slot', 'integer', (c) => c.notNull())
    .addColumn('question', 'text', (c) => c.notNull())
    .addColumn('char_hashes', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('security_questions_pk', ['account_id', 'slot'])
    .execute();

  await db.schema
    .createTable('recovery_challenges')
    .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('positions', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('recovery_verifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('organisation_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('agent_id', 'text')
    .addColumn('agent_organisation_id', 'text')
    .addColumn('flow', 'text')
    .addColumn('challenge_id', 'text', (c) => c.notNull())
    .addColumn('questions_passed', 'integer', (c) => c.notNull())
    .addColumn('second_factor_options', 'text', (c) => c.notNull())
    .addColumn('second_factor', 'text')
    .addColumn('sms_code_hash', 'text')
    .addColumn('sms_expires_at', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();
  await db.schema.createIndex('recovery_verifications_account').on('recovery_verifications').columns(['account_id', 'created_at']).execute();

  await db.schema
    .createTable('recovery_throttle')
    .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('lockouts', 'integer', (c) => c.notNull())
    .addColumn('locked_until', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('password_resets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('organisation_id', 'text', (c) => c.notNull())
    .addColumn('account_email', 'text', (c) => c.notNull())
    .addColumn('account_name', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('agent_id', 'text')
    .addColumn('agent_email', 'text')
    .addColumn('agent_name', 'text')
    .addColumn('agent_organisation_id', 'text')
    .addColumn('agent_organisation_name', 'text')
    .addColumn('verification_id', 'text', (c) => c.notNull().unique())
    .addColumn('failed_before', 'integer', (c) => c.notNull())
    .addColumn('second_factor', 'text', (c) => c.notNull())
    .addColumn('delivery', 'text', (c) => c.notNull())
    .addColumn('ticket', 'text')
    .addColumn('privileged', 'integer', (c) => c.notNull())
    .addColumn('high_risk', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('password_resets_org_at').on('password_resets').columns(['organisation_id', 'at']).execute();

  await db.schema
    .createTable('reset_reviews')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id').onDelete('cascade'))
    .addColumn('reviewer_id', 'text', (c) => c.notNull())
    .addColumn('reviewer_email', 'text', (c) => c.notNull())
    .addColumn('period_from', 'text', (c) => c.notNull())
    .addColumn('period_to', 'text', (c) => c.notNull())
    .addColumn('notes', 'text', (c) => c.notNull())
    .addColumn('resets', 'integer', (c) => c.notNull())
    .addColumn('flagged', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('reset_reviews_org_created').on('reset_reviews').columns(['organisation_id', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['reset_reviews', 'password_resets', 'recovery_throttle', 'recovery_verifications', 'recovery_challenges', 'security_questions']) {
    await db.schema.dropTable(t).execute();
  }
}
