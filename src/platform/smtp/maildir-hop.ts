import { randomBytes } from 'node:crypto';
import { link, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ensureMaildir, maildirOf, syncDirectory, writeDurably } from '../mail/maildir.js';

/**
 * Maildir delivery that a retry cannot duplicate: the file in `new/` is named after a
 * stable key of (message, recipient), written to `tmp/`, fsynced, then hard-linked into
 * `new/` — link() refuses an existing name atomically, so a second delivery of the same
 * message (after a crash between delivery and our 250, or a 451 for another recipient)
 * finds the first and stops. Same durability as platform/mail/maildir.ts.
 */

/** The file name a (message, recipient) key gets in `new/`. */
export function maildirNameOf(key: string): string {
  if (!/^[0-9a-f]{16,128}$/.test(key)) throw new Error('delivery key must be hex');
  return `${key}.pw`;
}

/**
 * Delivers `raw` to `address`'s Maildir under `root` unless a copy with this key is already in `new/`.
 * Resolves once the message is durable.
 * @returns 'delivered', or 'duplicate' when the key was already there
 * @throws Error on any file-system failure (the caller answers with a temporary failure)
 */
export async function deliverIdempotent(root: string, address: string, key: string, raw: Buffer): Promise<'delivered' | 'duplicate'> {
  const dir = maildirOf(root, address);
  const name = maildirNameOf(key);
  const final = path.join(dir, 'new', name);
  await ensureMaildir(dir, true);
  if (await exists(final)) return 'duplicate';
  const tmp = path.join(dir, 'tmp', `${name}.${process.pid}.${randomBytes(4).toString('hex')}`);
  await writeDurably(tmp, raw);
  let result: 'delivered' | 'duplicate' = 'delivered';
  try {
    await link(tmp, final);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    result = 'duplicate';
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  if (result === 'delivered') await syncDirectory(path.join(dir, 'new'));
  return result;
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
