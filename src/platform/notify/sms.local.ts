import { mkdir, open, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/config.js';
import { newId } from '../ids.js';

/**
 * The embedded setup's SMS "provider": each message is a JSON file (mode 0600) in
 * `<data dir>/sms-outbox/`, named by a time-ordered id. For trials and tests; the
 * platform sends through GOV.UK Notify instead (sms.ts).
 */

export interface LocalSms {
  id: string;
  to: string;
  body: string;
  at: string;
}

export function smsOutboxDir(config: Pick<Config, 'dataDir'>): string {
  return path.join(config.dataDir, 'sms-outbox');
}

/**
 * Writes one text message durably (write, fsync) to the local SMS outbox.
 * @returns its id
 * @throws Error on a file-system failure (the outbox runner retries)
 */
export async function writeLocalSms(config: Pick<Config, 'dataDir'>, sms: { to: string; body: string; at: Date }): Promise<string> {
  const dir = smsOutboxDir(config);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const id = newId(sms.at.getTime());
  const fh = await open(path.join(dir, `${id}.json`), 'wx', 0o600);
  try {
    await fh.writeFile(JSON.stringify({ id, to: sms.to, body: sms.body, at: sms.at.toISOString() } satisfies LocalSms) + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  return id;
}

/** Every message in the local SMS outbox, oldest first (newest last). Empty when there is none. */
export async function listLocalSms(config: Config): Promise<LocalSms[]> {
  const dir = smsOutboxDir(config);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const all = await Promise.all(names.map(async (n) => JSON.parse(await readFile(path.join(dir, n), 'utf8')) as LocalSms));
  return all.sort((a, b) => (a.at === b.at ? a.id.localeCompare(b.id) : a.at.localeCompare(b.at)));
}
