import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, type Migration, type MigrationResultSet, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;
export type DialectName = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  db: Db;
  dialect: DialectName;
  /** The PostgreSQL schema selected with `?schema=`, if any. */
  schema?: string;
  /** Closes every connection. */
  close(): Promise<void>;
}

// int8 (bigint, count(*)) would otherwise arrive as strings from pg; our values fit in a double.
pg.types.setTypeParser(20, (v) => Number(v));

/** What kind of database a DATABASE_URL points at, and where. */
export function parseDatabaseUrl(url: string): { dialect: DialectName; location: string; schema?: string } {
  if (/^postgres(ql)?:\/\//.test(url)) {
    const u = new URL(url);
    const schema = u.searchParams.get('schema') ?? undefined;
    if (schema && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error('schema must be a lower-case SQL identifier');
    u.searchParams.delete('schema');
    return { dialect: 'postgres', location: u.toString(), schema };
  }
  const file = url.replace(/^sqlite:(\/\/)?/, '').replace(/^file:(\/\/)?/, '');
  return { dialect: 'sqlite', location: file };
}

/**
 * better-sqlite3 compiles SQL on every prepare() and Kysely prepares on every query; the
 * same few hundred statements run over and over, so keep the compiled ones (LRU). Safe
 * because Kysely runs one query at a time on a SQLite connection.
 */
function withStatementCache(raw: SqliteDatabase.Database, max = 500): { close(): void; prepare(sql: string): SqliteDatabase.Statement } {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => raw.close(),
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (stmt) {
        cache.delete(sql);
      } else {
        stmt = raw.prepare(sql);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, stmt);
      return stmt;
    },
  };
}

/** Makes a file readable and writable by its owner only (the database holds every account). */
function ownerOnly(file: string): void {
  if ((statSync(file).mode & 0o777) !== 0o600) chmodSync(file, 0o600);
}

/**
 * Opens the database a DATABASE_URL names. SQLite runs in WAL mode with foreign keys on,
 * its file and its -wal/-shm files mode 0600;
 * PostgreSQL gets a pool. `?schema=NAME` on a postgres URL selects (and creates) a schema:
 * the test suite uses it to give each test its own namespace in one database.
 */
export async function openDatabase(url: string, opts: { poolSize?: number } = {}): Promise<DatabaseHandle> {
  const parsed = parseDatabaseUrl(url);
  if (parsed.dialect === 'sqlite') {
    const file = parsed.location === ':memory:' ? null : path.resolve(parsed.location);
    if (file) {
      mkdirSync(path.dirname(file), { recursive: true });
      // Owner-only before SQLite opens it: its -wal and -shm files are created with the mode of the database file.
      closeSync(openSync(file, 'a', 0o600));
      ownerOnly(file);
    }
    const raw = new SqliteDatabase(parsed.location);
    raw.pragma('journal_mode = WAL');
    // Files left by an older version (or made under a looser umask) are tightened too.
    if (file) for (const f of [`${file}-wal`, `${file}-shm`]) if (existsSync(f)) ownerOnly(f);
    raw.pragma('synchronous = NORMAL');
    raw.pragma('foreign_keys = ON');
    raw.pragma('busy_timeout = 5000');
    // 64 MB of page cache (the default is 2 MB): random-keyed indexes of a large directory
    // otherwise pay a page read for most inserts and lookups.
    raw.pragma('cache_size = -65536');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(raw) }) });
    return { db, dialect: 'sqlite', close: () => db.destroy() };
  }
  if (parsed.schema) {
    const admin = new pg.Client({ connectionString: parsed.location });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS "${parsed.schema}"`);
    } finally {
      await admin.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: parsed.location,
    max: opts.poolSize ?? 10,
    options: parsed.schema ? `-c search_path=${parsed.schema}` : undefined,
    connectionTimeoutMillis: 5000,
  });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  // A client that loses its server mid-query emits 'error' on itself too: the query rejects, the process must not die.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', schema: parsed.schema, close: () => db.destroy() };
}

/**
 * Brings the schema up to date with `migrations`, every migration by its recorded name (the
 * composition root assembles them: src/main/migrations.ts). Kysely runs them in name order
 * and takes a lock (a row lock on PostgreSQL), so several nodes starting at once migrate
 * exactly once.
 * @throws Error naming the migration that failed.
 */
export async function migrateToLatest(db: Db, migrations: Readonly<Record<string, Migration>>, schema?: string): Promise<MigrationResultSet> {
  // With several schemas in one database, Kysely must be told which one holds its own
  // bookkeeping tables, or it finds another schema's and fails.
  const migrator = new Migrator({ db, provider: { getMigrations: async () => ({ ...migrations }) }, migrationTableSchema: schema });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${(result.error as Error).message ?? String(result.error)}`);
  }
  return result;
}

/** True when the database answers a trivial query. */
export async function pingDatabase(db: Db, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const ping = sql`select 1 as ok`.execute(db).then(() => true);
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    return await Promise.race([ping, timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
