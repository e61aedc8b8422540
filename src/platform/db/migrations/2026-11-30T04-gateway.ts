import type { Kysely } from 'kysely';

/** Frozen once released: uses Kysely<any> and imports no application code. */
export async function up(db: Kysely<any>): Promise<void> {
  void db;
}

export async function down(db: Kysely<any>): Promise<void> {
  void db;
}
