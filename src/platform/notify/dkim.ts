import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config.js';

/** The platform's DKIM signing key and the DNS record that publishes it. */
export interface DkimKey {
  domain: string;
  selector: string;
  privateKeyPem: string;
  /** `<selector>._domainkey.<domain>` */
  txtName: string;
  /** `v=DKIM1; k=rsa; p=<base64 SPKI>` */
  txtValue: string;
}

/** Where the key lives: `<data dir>/dkim/<selector>.pem` (mode 0600). */
export function dkimKeyPath(config: Pick<Config, 'dataDir' | 'dkimSelector'>): string {
  return path.join(config.dataDir, 'dkim', `${config.dkimSelector}.pem`);
}

function describe(config: Pick<Config, 'platformDomain' | 'dkimSelector'>, privateKeyPem: string): DkimKey {
  const spki = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'der' }).toString('base64');
  return {
    domain: config.platformDomain,
    selector: config.dkimSelector,
    privateKeyPem,
    txtName: `${config.dkimSelector}._domainkey.${config.platformDomain}`,
    txtValue: `v=DKIM1; k=rsa; p=${spki}`,
  };
}

/**
 * Reads the platform's DKIM key.
 * @throws Error when it does not exist (run `postwarden init`)
 */
export function loadDkimKey(config: Pick<Config, 'dataDir' | 'dkimSelector' | 'platformDomain'>): DkimKey {
  const file = dkimKeyPath(config);
  if (!existsSync(file)) throw new Error(`No DKIM key at ${file}: run \`postwarden init\``);
  return describe(config, readFileSync(file, 'utf8'));
}

/** Creates an RSA-2048 DKIM key when there is none. Idempotent. */
export function ensureDkimKey(config: Pick<Config, 'dataDir' | 'dkimSelector' | 'platformDomain'>): { key: DkimKey; created: boolean } {
  const file = dkimKeyPath(config);
  if (existsSync(file)) return { key: loadDkimKey(config), created: false };
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
  return { key: describe(config, pem), created: true };
}
