import { randomBytes } from 'node:crypto';
import { mkdir, open, rename } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';

/** The Maildir of one address under `root` (`<data dir>/mail`): `<root>/<address>/`. */
export function maildirOf(root: string, address: string): string {
  const a = address.toLowerCase();
  // An address is one path segment: refuse anything that could climb out of the root.
  if (!/^[^/\\\0]+@[^/\\\0]+$/.test(a) || a.startsWith('.')) throw new Error(`not a deliverable address: ${JSON.stringify(address)}`);
  return path.join(root, a);
}

const host = hostname().replace(/[/:]/g, '_');
let seq = 0;

/**
 * Delivers one message into the Maildir of `address` the Maildir way: write to `tmp/`,
 * fsync, rename into `new/` (atomic), fsync the directory. Resolves only when the message
 * is durable. Returns the file name in `new/`.
 * @throws Error on any file-system failure (the caller answers with a temporary failure)
 */
export async function deliverToMaildir(root: string, address: string, raw: Buffer): Promise<string> {
  const dir = maildirOf(root, address);
  await Promise.all(['tmp', 'new', 'cur'].map((d) => mkdir(path.join(dir, d), { recursive: true, mode: 0o700 })));
  const name = `${Date.now()}.P${process.pid}Q${(seq++).toString(36)}R${randomBytes(6).toString('hex')}.${host}`;
  const tmp = path.join(dir, 'tmp', name);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(raw);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path.join(dir, 'new', name));
  const dh = await open(path.join(dir, 'new'), 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
  return name;
}
