import type { Kysely } from 'kysely';

/**
 * SMTP gateway: the quarantine and the redelivery ledger.
 * Frozen once released: uses Kysely<any> and imports no application code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('gateway_quarantine')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // Keyed hash of the message as received: a retried message is held once.
    .addColumn('message_key', 'text', (c) => c.notNull().unique())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('rule_id', 'text')
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('mail_from', 'text', (c) => c.notNull())
    .addColumn('header_from', 'text')
    .addColumn('recipients', 'text', (c) => c.notNull())
    .addColumn('subject', 'text')
    .addColumn('message_id', 'text')
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('remote_address', 'text')
    .addColumn('smtp_session_id', 'text')
    .addColumn('raw_b64', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('decided_at', 'text')
    .addColumn('decided_by', 'text')
    .execute();
  await db.schema.createIndex('gateway_quarantine_status').on('gateway_quarantine').columns(['status', 'received_at']).execute();
  await db.schema
    .createTable('gateway_redelivery')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('gateway_redelivery_created').on('gateway_redelivery').columns(['created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('gateway_redelivery').execute();
  await db.schema.dropTable('gateway_quarantine').execute();
}
