import type { Kysely } from 'kysely';

/** MFA factors, recovery codes, sign-in history, lockout state, session stages. Frozen. */
export async function up(db: Kysely<any>): Promise<void> {
  // Marked individually by an LA or admin; compromised is set by the compromise capability.
  await db.schema.alterTable('accounts').addColumn('mfa_required', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('accounts').addColumn('compromised_at', 'text').execute();

  // A session passes stages: password → mfa (has factors) → enrol (must, has none) → full.
  await db.schema.alterTable('sessions').addColumn('stage', 'text', (c) => c.notNull().defaultTo('full')).execute();
  await db.schema.alterTable('sessions').addColumn('device_id', 'text').execute();
  await db.schema.alterTable('sessions').addColumn('mfa_at', 'text').execute();
  await db.schema.alterTable('sessions').addColumn('challenge', 'text').execute();
  await db.schema.alterTable('sessions').addColumn('challenge_expires_at', 'text').execute();

  await db.schema
    .createTable('mfa_factors')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('secret_enc', 'text')
    .addColumn('last_step', 'bigint')
    .addColumn('credential_id', 'text', (c) => c.unique())
    .addColumn('public_key', 'text')
    .addColumn('sign_count', 'bigint')
    .addColumn('transports', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .execute();
  await db.schema.createIndex('mfa_factors_account').on('mfa_factors').column('account_id').execute();

  await db.schema
    .createTable('recovery_codes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();
  await db.schema.createIndex('recovery_codes_account').on('recovery_codes').columns(['account_id', 'code_hash']).execute();

  await db.schema
    .createTable('signin_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text')
    .addColumn('organisation_id', 'text')
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('step', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('ip', 'text', (c) => c.notNull())
    .addColumn('user_agent', 'text', (c) => c.notNull())
    .addColumn('device_id', 'text')
    .execute();
  await db.schema.createIndex('signin_events_account_at').on('signin_events').columns(['account_id', 'at']).execute();

  await db.schema
    .createTable('signin_throttle')
    .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('lockouts', 'integer', (c) => c.notNull())
    .addColumn('locked_until', 'text')
    .addColumn('last_failure_mac', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['signin_throttle', 'signin_events', 'recovery_codes', 'mfa_factors']) await db.schema.dropTable(t).execute();
  for (const c of ['challenge_expires_at', 'challenge', 'mfa_at', 'device_id', 'stage']) await db.schema.alterTable('sessions').dropColumn(c).execute();
  for (const c of ['compromised_at', 'mfa_required']) await db.schema.alterTable('accounts').dropColumn(c).execute();
}
