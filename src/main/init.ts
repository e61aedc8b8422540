import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Config, loadConfig, SECRET_KEY_FILE } from '../platform/config/config.js';
import { ensureDkimKey } from '../platform/notify/dkim.js';
import { configSections } from './config.js';

/**
 * Makes the data directory and, unless a key is configured, a 32-byte master key file in
 * it (mode 0600). The key never goes into the database: a copy of the database alone
 * cannot decrypt secrets or brute-force keyed hashes.
 * @returns the configuration reloaded with the key, and whether a key file was created
 */
export function ensureDataDir(config: Config, env: Record<string, string | undefined> = process.env): { config: Config; createdKey: boolean } {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o750 });
  ensureDkimKey(config);
  if (config.secretKeyConfigured) return { config, createdKey: false };
  const keyFile = path.join(config.dataDir, SECRET_KEY_FILE);
  let createdKey = false;
  if (!existsSync(keyFile)) {
    writeFileSync(keyFile, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(keyFile, 0o600);
    createdKey = true;
  }
  return { config: loadConfig(configSections, env, { dataDir: config.dataDir }), createdKey };
}
