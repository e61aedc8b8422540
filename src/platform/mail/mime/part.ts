/**
 * Reading one part of a MIME tree: its transfer encoding removed (and put back), its text in
 * its charset, and which parts a reader sees as the message text. Pure; never throws.
 */
import { decodeCharset } from './charset.js';
import { paramText } from './params.js';
import { decodeBase64, decodeQuotedPrintable, encodeBase64Lines, encodeQuotedPrintable } from './transfer.js';
import type { MimePart } from './tree.js';

export type Transfer = 'identity' | 'quoted-printable' | 'base64';

/** How a part's body is encoded on the wire: anything but QP or base64 is kept byte for byte (as mailparser reads it). */
export function transferOf(p: Pick<MimePart, 'encoding'>): Transfer {
  return p.encoding === 'quoted-printable' || p.encoding === 'base64' ? p.encoding : 'identity';
}

/** The part's body with its transfer encoding removed (the body itself for 7bit, 8bit, binary and unknown). */
export function decodeBody(p: Pick<MimePart, 'encoding' | 'body'>): Buffer {
  const t = transferOf(p);
  if (t === 'base64') return decodeBase64(p.body);
  if (t === 'quoted-printable') return decodeQuotedPrintable(p.body);
  return p.body;
}

/** Decoded bytes re-encoded with a part's transfer encoding (base64 without a final line break). */
export function encodeBody(bytes: Buffer, p: Pick<MimePart, 'encoding'>, eol: string): Buffer {
  const t = transferOf(p);
  if (t === 'base64') return Buffer.from(encodeBase64Lines(bytes, eol).replace(/\r?\n$/, ''), 'latin1');
  if (t === 'quoted-printable') return Buffer.from(encodeQuotedPrintable(bytes, eol), 'latin1');
  return bytes;
}

/** The text of a part: transfer encoding removed, then its charset (UTF-8 when absent, latin1 when unknown). */
export function decodeText(p: Pick<MimePart, 'encoding' | 'body' | 'charset'>): string {
  return decodeCharset(decodeBody(p), p.charset);
}

/** The part's filename decoded for display (Content-Disposition filename, else Content-Type name), or null. */
export function filenameOf(p: Pick<MimePart, 'dispositionParams' | 'params'>): string | null {
  return paramText(p.dispositionParams, 'filename') ?? paramText(p.params, 'name');
}

/** True for a part a reader sees as the message text (not an attachment). */
export function isBodyText(p: MimePart, type: 'text/plain' | 'text/html'): boolean {
  return p.contentType === type && p.children.length === 0 && p.disposition !== 'attachment' && !(p.hasFilename && p.disposition !== 'inline');
}

/**
 * The first text/plain and first text/html body parts, depth first, never inside message/*
 * parts: the text a reader's client shows as the message.
 */
export function findBodyParts(root: MimePart): { text?: MimePart; html?: MimePart } {
  const found: { text?: MimePart; html?: MimePart } = {};
  const visit = (p: MimePart): void => {
    if (found.text && found.html) return;
    if (p.contentType.startsWith('multipart/')) {
      for (const c of p.children) visit(c);
      return;
    }
    if (!found.text && isBodyText(p, 'text/plain')) found.text = p;
    else if (!found.html && isBodyText(p, 'text/html')) found.html = p;
  };
  visit(root);
  return found;
}
