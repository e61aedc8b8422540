import { type Config, ConfigError, loadConfig } from '../platform/config/config.js';
import { type DatabaseHandle, migrateToLatest, openDatabase } from '../platform/db/db.js';
import { migrations } from './migrations.js';
import { DomainError } from '../platform/errors/errors.js';
import { configSections } from './config.js';

/** Loads configuration or exits with status 2, listing every problem. */
export function configOrExit(): Config {
  try {
    return loadConfig(configSections);
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
    await migrateToLatest(handle.db, migrations, handle.schema);
    return await fn(handle);
  } finally {
    await handle.close();
  }
}

/**
 * Runs `fn`; a domain error (not found, invalid, forbidden…) becomes its message, with
 * each listed problem, and exit status 1. Anything else is rethrown.
 */
export async function failOnDomainError<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DomainError) fail(`${err.message}${err.problems.length ? '\n  ' + err.problems.join('\n  ') : ''}`);
    throw err;
  }
}
