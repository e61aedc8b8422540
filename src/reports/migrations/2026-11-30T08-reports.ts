import { type Kysely, PostgresAdapter, sql } from 'kysely';

/**
 * Phishing reports: verbatim samples (content-addressed), reports and who sent them,
 * campaigns, triage notes, CERT submissions, block rules. Frozen once released: uses
 * Kysely<any> and imports no application code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const binary = db.getExecutor().adapter instanceof PostgresAdapter ? sql`bytea` : sql`blob`;

  // Verbatim bytes, keyed by their SHA-256 (hex): samples, .msg renditions and whole reports.
  await db.schema
    .createTable('report_blobs')
    .addColumn('sha256', 'text', (c) => c.primaryKey())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('content', binary, (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('reports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('via', 'text', (c) => c.notNull())
    .addColumn('reporter_address', 'text', (c) => c.notNull())
    .addColumn('reporter_account_id', 'text')
    .addColumn('reporter_organisation_id', 'text')
    .addColumn('reporter_verified', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('raw_sha256', 'text', (c) => c.notNull())
    .addColumn('raw_size', 'integer', (c) => c.notNull())
    .addColumn('raw_blob_sha256', 'text', (c) => c.notNull())
    .addColumn('raw_splices', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('headers_lost', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('sample_count', 'integer', (c) => c.notNull())
    .addColumn('arf', 'text')
    .addColumn('comment', 'text')
    .addColumn('problems', 'text', (c) => c.notNull())
    .addColumn('remote_address', 'text')
    .execute();
  await db.schema.createIndex('reports_received').on('reports').column('received_at').execute();
  await db.schema.createIndex('reports_reporter').on('reports').columns(['reporter_address', 'received_at']).execute();
  await db.schema.createIndex('reports_org').on('reports').columns(['reporter_organisation_id', 'received_at']).execute();

  await db.schema
    .createTable('report_campaigns')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('sample_count', 'integer', (c) => c.notNull())
    .addColumn('verdict', 'text')
    .addColumn('verdict_at', 'text')
    .addColumn('verdict_by', 'text')
    .execute();
  await db.schema
    .createTable('report_campaign_keys')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('campaign_id', 'text', (c) => c.notNull().references('report_campaigns.id').onDelete('cascade'))
    .execute();
  await db.schema.createIndex('report_campaign_keys_campaign').on('report_campaign_keys').column('campaign_id').execute();

  await db.schema
    .createTable('report_samples')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('sha256', 'text', (c) => c.notNull().unique())
    .addColumn('view_sha256', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('filename', 'text')
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('first_reported_at', 'text', (c) => c.notNull())
    .addColumn('last_reported_at', 'text', (c) => c.notNull())
    .addColumn('report_count', 'integer', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('from_address', 'text')
    .addColumn('from_domain', 'text')
    .addColumn('message_id', 'text')
    .addColumn('headers_lost', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('indicators', 'text', (c) => c.notNull())
    .addColumn('parse_problem', 'text')
    .addColumn('internal_account_id', 'text')
    .addColumn('campaign_id', 'text', (c) => c.references('report_campaigns.id').onDelete('set null'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('assigned_to', 'text')
    .addColumn('assigned_email', 'text')
    .addColumn('assigned_at', 'text')
    .addColumn('verdict', 'text')
    .addColumn('verdict_at', 'text')
    .addColumn('verdict_by', 'text')
    .addColumn('cert_submission_id', 'text')
    .execute();
  await db.schema.createIndex('report_samples_queue').on('report_samples').columns(['status', 'first_reported_at']).execute();
  await db.schema.createIndex('report_samples_campaign').on('report_samples').column('campaign_id').execute();
  await db.schema.createIndex('report_samples_assigned').on('report_samples').columns(['assigned_to', 'status']).execute();
  await db.schema.createIndex('report_samples_last').on('report_samples').column('last_reported_at').execute();

  await db.schema
    .createTable('report_sample_links')
    .addColumn('report_id', 'text', (c) => c.notNull().references('reports.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('sample_id', 'text', (c) => c.notNull().references('report_samples.id').onDelete('cascade'))
    .addColumn('reporter_organisation_id', 'text')
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('report_sample_links_pk', ['report_id', 'position'])
    .execute();
  await db.schema.createIndex('report_sample_links_sample').on('report_sample_links').column('sample_id').execute();
  await db.schema.createIndex('report_sample_links_org').on('report_sample_links').columns(['reporter_organisation_id', 'sample_id']).execute();

  await db.schema
    .createTable('report_notes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('sample_id', 'text', (c) => c.references('report_samples.id').onDelete('cascade'))
    .addColumn('campaign_id', 'text', (c) => c.references('report_campaigns.id').onDelete('cascade'))
    .addColumn('author_id', 'text')
    .addColumn('author_email', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('report_notes_sample').on('report_notes').columns(['sample_id', 'at']).execute();
  await db.schema.createIndex('report_notes_campaign').on('report_notes').columns(['campaign_id', 'at']).execute();

  await db.schema
    .createTable('cert_submissions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('actor_email', 'text', (c) => c.notNull())
    .addColumn('to_address', 'text', (c) => c.notNull())
    .addColumn('arf', 'integer', (c) => c.notNull())
    .addColumn('forced', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text')
    .addColumn('error', 'text')
    .addColumn('sample_count', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('cert_submissions_at').on('cert_submissions').column('at').execute();
  await db.schema
    .createTable('cert_submission_samples')
    .addColumn('submission_id', 'text', (c) => c.notNull().references('cert_submissions.id').onDelete('cascade'))
    .addColumn('sample_id', 'text', (c) => c.notNull().references('report_samples.id').onDelete('cascade'))
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('cert_submission_samples_pk', ['submission_id', 'sample_id'])
    .execute();
  await db.schema.createIndex('cert_submission_samples_sample').on('cert_submission_samples').column('sample_id').execute();

  await db.schema
    .createTable('block_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_by_email', 'text', (c) => c.notNull())
    .addColumn('sample_id', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('lifted_at', 'text')
    .addColumn('lifted_by_email', 'text')
    .execute();
  await db.schema.createIndex('block_rules_kind_value').on('block_rules').columns(['kind', 'value']).execute();
  await db.schema.createIndex('block_rules_active').on('block_rules').columns(['lifted_at', 'expires_at']).execute();

  // One row: bumped on every change to block_rules, polled by every gateway process.
  await db.schema
    .createTable('block_rules_version')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .execute();
  await db.insertInto('block_rules_version').values({ id: 1, version: 0 }).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['block_rules_version', 'block_rules', 'cert_submission_samples', 'cert_submissions', 'report_notes', 'report_sample_links', 'report_samples', 'report_campaign_keys', 'report_campaigns', 'reports', 'report_blobs']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
