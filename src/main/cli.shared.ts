import { type Config, ConfigError, loadConfig } from '../platform/config/config.js';
import { type DatabaseHandle, migrateToLatest, openDatabase } from '../platform/db/db.js';

/** Loads configuration or exits with status 2, listing every problem. */
export function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 2);
    throw err;
  }
}

/** Prints an error the user can act on and exits non-zero. */
export function fail(message: string, code = 1): never {
  process.stderr.write(`postwarden: ${message}\n`);
  process.exit(code);
}

/** Opens and migrates the configured database for a CLI command, runs `fn`, and closes it. */
export async function withDatabase<T>(config: Config, fn: (handle: DatabaseHandle) => Promise<T>): Promise<T> {
  const handle = await openDatabase(config.databaseUrl, { poolSize: 4 });
  try {
    await migrateToLatest(handle.db, handle.schema);
    return await fn(handle);
  } finally {
    await handle.close();
  }
}
