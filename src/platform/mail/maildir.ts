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

const made = new Set<string>();

/**
 * Makes `tmp/`, `new/` and `cur/` of a Maildir. With `remember` (the gateway's hot path),
 * once per process and directory.
 */
export async function ensureMaildir(dir: string, remember = false): Promise<void> {
  if (remember && made.has(dir)) return;
  await Promise.all(['tmp', 'new', 'cur'].map((d) => mkdir(path.join(dir, d), { recursive: true, mode: 0o700 })));
  made.add(dir);
}

/** Writes `raw` to a new file (mode 0600; refuses an existing one) and fsyncs it. */
export async function writeDurably(file: string, raw: Buffer): Promise<void> {
  const fh = await open(file, 'wx', 0o600);
  try {
    await fh.writeFile(raw);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Fsyncs a directory, so that a rename or link into it survives a crash. */
export async function syncDirectory(dir: string): Promise<void> {
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/**
 * Delivers one message into the Maildir of `address` the Maildir way: write to `tmp/`,
 * fsync, rename into `new/` (atomic), fsync the directory. Resolves only when the message
 * is durable. Returns the file name in `new/`.
 * @throws Error on any file-system failure (the caller answers with a temporary failure)
 */
export async function deliverToMaildir(root: string, address: string, raw: Buffer): Promise<string> {
  const dir = maildirOf(root, address);
  await ensureMaildir(dir);
  const name = `${Date.now()}.P${process.pid}Q${(seq++).toString(36)}R${randomBytes(6).toString('hex')}.${host}`;
  const tmp = path.join(dir, 'tmp', name);
  await writeDurably(tmp, raw);
  await rename(tmp, path.join(dir, 'new', name));
  await syncDirectory(path.join(dir, 'new'));
  return name;
}
