import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import pg from 'pg';
import { type DatabaseHandle, type DialectName, migrateToLatest, openDatabase } from '../db/db.js';
import { migrations } from '../../main/migrations.js';

/**
 * Two databases, one test body. `scripts/run-tests.mjs` creates a fresh PostgreSQL
 * database for the run and passes it in PW_TEST_PG_URL; each test suite then gets its own
 * schema in it, and its own SQLite file. Where PostgreSQL is unavailable the PostgreSQL
 * half is reported as skipped, with the reason, never silently passed.
 */

export const pgUrl = process.env.PW_TEST_PG_URL;
export const pgSkipReason = pgUrl ? undefined : process.env.PW_TEST_PG_SKIP ?? 'PW_TEST_PG_URL is not set (run the suite with `npm test`)';

export const DIALECTS: readonly DialectName[] = ['sqlite', 'postgres'];

/** A migrated, empty database of the given kind, and a function that removes it. */
export async function createTestDatabase(dialect: DialectName): Promise<DatabaseHandle & { url: string; drop(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'pw-test-'));
    const url = `sqlite:${path.join(dir, 'test.sqlite')}`;
    const handle = await openDatabase(url);
    await migrateToLatest(handle.db, migrations);
    return { ...handle, url, drop: async () => { await handle.close(); rmSync(dir, { recursive: true, force: true }); } };
  }
  if (!pgUrl) throw new Error(`PostgreSQL unavailable: ${pgSkipReason}`);
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const u = new URL(pgUrl);
  u.searchParams.set('schema', schema);
  const url = u.toString();
  const handle = await openDatabase(url, { poolSize: 5 });
  await migrateToLatest(handle.db, migrations, handle.schema);
  return {
    ...handle,
    url,
    drop: async () => {
      await handle.close();
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * A fresh, migrated database of `dialect` for one test, removed when `fn` ends. For tests
 * of behaviour over a whole table (the audit chain, a purge, a global count), which would
 * otherwise see the rows of the suite's other tests and have to assert `>=`.
 */
export async function withOwnDatabase<T>(dialect: DialectName, fn: (handle: DatabaseHandle & { url: string }) => Promise<T>): Promise<T> {
  const handle = await createTestDatabase(dialect);
  try {
    return await fn(handle);
  } finally {
    await handle.drop();
  }
}

export interface DbContext {
  readonly dialect: DialectName;
  /** The open handle; valid inside tests (set up in `before`). */
  readonly handle: DatabaseHandle & { url: string };
}

/**
 * Runs the same suite against SQLite and PostgreSQL: `describe(title [sqlite])` and
 * `describe(title [postgres])`, each with its own fresh database.
 */
export function describeEachDatabase(title: string, body: (ctx: DbContext) => void): void {
  for (const dialect of DIALECTS) {
    const skip = dialect === 'postgres' && pgSkipReason ? `PostgreSQL half skipped: ${pgSkipReason}` : false;
    describe(`${title} [${dialect}]`, { skip }, () => {
      let handle: (DatabaseHandle & { url: string; drop(): Promise<void> }) | undefined;
      const ctx: DbContext = {
        dialect,
        get handle() {
          if (!handle) throw new Error('database not ready: use it inside a test');
          return handle;
        },
      };
      before(async () => {
        handle = await createTestDatabase(dialect);
      });
      after(async () => {
        await handle?.drop();
      });
      body(ctx);
    });
  }
}
