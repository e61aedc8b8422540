import type { Kysely } from 'kysely';

/**
 * When an account's mobile number was last added or changed, and whether the account
 * itself made that change after passing MFA. A number set by anyone else does not serve as
 * a second factor for a while (recovery). Frozen once released: Kysely<any>, no app code.
 * Existing numbers keep a null time: they were set before the rule and stay usable.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('accounts').addColumn('mobile_changed_at', 'text').execute();
  await db.schema.alterTable('accounts').addColumn('mobile_change_verified', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('accounts').dropColumn('mobile_change_verified').execute();
  await db.schema.alterTable('accounts').dropColumn('mobile_changed_at').execute();
}
