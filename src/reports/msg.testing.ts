import { burn, type Entry } from '@kenjiuno/msgreader/lib/Burner.js';

/**
 * Builds small Outlook .msg files for tests (Compound File Binary via msgreader's own
 * burner), so no binary fixture is kept in the repository.
 */

const ROOT = 5;
const DIRECTORY = 1;
const DOCUMENT = 2;

function utf16(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'utf16le'));
}

function doc(name: string, data: Uint8Array): Entry {
  return { name, type: DOCUMENT, length: data.length, binaryProvider: () => data };
}

/** A .msg with the given properties (unicode string properties, one optional attachment). */
export function buildTestMsg(m: { subject: string; senderEmail: string; senderName?: string; body: string; headers?: string; attachment?: { name: string; mime: string; content: Buffer } }): Buffer {
  const entries: Entry[] = [{ name: 'Root Entry', type: ROOT, length: 0, children: [] }];
  const add = (parent: number, e: Entry): number => {
    entries.push(e);
    const i = entries.length - 1;
    entries[parent]!.children!.push(i);
    return i;
  };
  // Fixed-size properties stream (header of 32 bytes for the top-level message, no entries).
  add(0, doc('__properties_version1.0', new Uint8Array(32)));
  add(0, doc('__substg1.0_0037001F', utf16(m.subject)));
  add(0, doc('__substg1.0_0C1F001F', utf16(m.senderEmail)));
  add(0, doc('__substg1.0_0C1A001F', utf16(m.senderName ?? m.senderEmail)));
  add(0, doc('__substg1.0_1000001F', utf16(m.body)));
  if (m.headers) add(0, doc('__substg1.0_007D001F', utf16(m.headers)));
  if (m.attachment) {
    const dir = add(0, { name: '__attach_version1.0_#00000000', type: DIRECTORY, length: 0, children: [] });
    add(dir, doc('__properties_version1.0', new Uint8Array(8)));
    add(dir, doc('__substg1.0_3707001F', utf16(m.attachment.name)));
    add(dir, doc('__substg1.0_370E001F', utf16(m.attachment.mime)));
    add(dir, doc('__substg1.0_37010102', new Uint8Array(m.attachment.content)));
  }
  return Buffer.from(burn(entries));
}
