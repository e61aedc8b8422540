import { type Kysely, sql } from 'kysely';

/**
 * UK-only mobiles (sweep runs and their findings) and compromised accounts (suspicions,
 * cases, devices, scan records, timeline). Frozen once released: uses Kysely<any> and
 * imports no application code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('phone_sweep_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('organisation_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('last_account_id', 'text')
    .addColumn('last_digest_org_id', 'text')
    .addColumn('allow_crown_dependencies', 'integer', (c) => c.notNull())
    .addColumn('checked', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('failing', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('disabled', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('batches', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('started_by', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('phone_sweep_runs_started').on('phone_sweep_runs').column('started_at').execute();

  await db.schema
    .createTable('phone_sweep_items')
    .addColumn('run_id', 'text', (c) => c.notNull().references('phone_sweep_runs.id').onDelete('cascade'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('organisation_id', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('mobile', 'text', (c) => c.notNull())
    .addColumn('problem', 'text', (c) => c.notNull())
    .addColumn('why', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('account_status', 'text', (c) => c.notNull())
    // One row per account per run: the primary key is what makes "processed twice" impossible.
    .addPrimaryKeyConstraint('phone_sweep_items_pk', ['run_id', 'account_id'])
    .execute();
  await db.schema.createIndex('phone_sweep_items_org').on('phone_sweep_items').columns(['run_id', 'organisation_id', 'account_id']).execute();

  // LAs and the helpdesk look up accounts disabled for a reason; few rows have one.
  await sql`create index accounts_status_reason on accounts (status_reason, organisation_id) where status_reason is not null`.execute(db);

  await db.schema
    .createTable('compromise_suspicions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('organisation_id', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('raised_at', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reviewed_by', 'text')
    .addColumn('reviewed_at', 'text')
    .addColumn('review_note', 'text')
    .addColumn('case_id', 'text')
    .addUniqueConstraint('compromise_suspicions_once', ['account_id', 'source', 'detail'])
    .execute();
  await db.schema.createIndex('compromise_suspicions_status').on('compromise_suspicions').columns(['status', 'raised_at']).execute();

  await db.schema
    .createTable('compromise_cases')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('organisation_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('flagged_at', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('evidence_ref', 'text', (c) => c.notNull())
    .addColumn('opened_by_id', 'text')
    .addColumn('opened_by', 'text', (c) => c.notNull())
    .addColumn('suspicion_id', 'text')
    .addColumn('closed_at', 'text')
    .addColumn('closed_by', 'text')
    .addColumn('escalated_at', 'text')
    .addColumn('last_reminder_at', 'text')
    .addColumn('reminders', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // At most one open case per account, whichever node marks it.
  await sql`create unique index compromise_cases_one_open on compromise_cases (account_id) where status = 'open'`.execute(db);
  await db.schema.createIndex('compromise_cases_status').on('compromise_cases').columns(['status', 'flagged_at']).execute();
  await db.schema.createIndex('compromise_cases_org').on('compromise_cases').columns(['organisation_id', 'status', 'flagged_at']).execute();
  await db.schema.createIndex('compromise_cases_account').on('compromise_cases').columns(['account_id', 'flagged_at']).execute();

  await db.schema
    .createTable('compromise_case_devices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('compromise_cases.id').onDelete('cascade'))
    .addColumn('device_id', 'text')
    .addColumn('user_agent', 'text', (c) => c.notNull())
    .addColumn('ips', 'text', (c) => c.notNull())
    .addColumn('first_seen', 'text', (c) => c.notNull())
    .addColumn('last_seen', 'text', (c) => c.notNull())
    .addColumn('sign_ins', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('compromise_case_devices_case').on('compromise_case_devices').column('case_id').execute();

  await db.schema
    .createTable('compromise_device_checks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('compromise_cases.id').onDelete('cascade'))
    .addColumn('case_device_id', 'text', (c) => c.notNull().references('compromise_case_devices.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('scanned_by', 'text')
    .addColumn('tool', 'text')
    .addColumn('result', 'text')
    .addColumn('scanned_on', 'text')
    .addColumn('reason', 'text')
    .addColumn('recorded_by_id', 'text')
    .addColumn('recorded_by', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('compromise_device_checks_case').on('compromise_device_checks').columns(['case_id', 'recorded_at']).execute();

  await db.schema
    .createTable('compromise_case_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('compromise_cases.id').onDelete('cascade'))
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('compromise_case_events_case').on('compromise_case_events').columns(['case_id', 'at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['compromise_case_events', 'compromise_device_checks', 'compromise_case_devices', 'compromise_cases', 'compromise_suspicions', 'phone_sweep_items', 'phone_sweep_runs']) {
    await db.schema.dropTable(t).execute();
  }
  await db.schema.dropIndex('accounts_status_reason').execute();
}
