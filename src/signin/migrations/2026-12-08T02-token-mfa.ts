import type { Kysely } from 'kysely';

/**
 * Whether an API token was minted deliberately for automation, to work although its account
 * must use MFA and has no factor (`postwarden token create --allow-without-mfa`). Tokens
 * that exist already get 0: an account that must use MFA needs a factor for them to work.
 * Frozen once released: Kysely<any>, no app code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_tokens').addColumn('allow_without_mfa', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_tokens').dropColumn('allow_without_mfa').execute();
}
