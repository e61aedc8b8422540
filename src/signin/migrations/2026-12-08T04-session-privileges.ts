import type { Kysely } from 'kysely';

/**
 * What a session's privileges were when its id was last issued (a fingerprint of the
 * account's roles). When the roles change, the next request renews the session under a
 * new id. Sessions that exist already get NULL, so each is renewed once on its next request.
 * Frozen once released: Kysely<any>, no app code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sessions').addColumn('privileges', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sessions').dropColumn('privileges').execute();
}
