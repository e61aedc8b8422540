/**
 * Transfer encodings and charsets, just enough to add or remove a banner without touching
 * the rest of a part. Pure functions over Buffers.
 */
import { TextDecoder } from 'node:util';
import type { MimePart } from './mime.js';

export type Transfer = 'identity' | 'quoted-printable' | 'base64';

/** How a part's body is encoded on the wire: anything but QP or base64 is kept byte for byte (as mailparser reads it). */
export function transferOf(p: MimePart): Transfer {
  return p.encoding === 'quoted-printable' || p.encoding === 'base64' ? p.encoding : 'identity';
}

/** How banner bytes are written in a charset; null where we cannot write it safely. */
export type CharsetKind = 'ascii' | 'utf-16le' | 'utf-16be' | 'utf-16';

/**
 * Charsets that keep ASCII bytes as ASCII (nearly all mail charsets: UTF-8, ISO-8859-*,
 * windows-*, ISO-2022-* which start in ASCII, Shift_JIS, EUC-*, GB*, Big5, KOI8…) take the
 * banner as ASCII. UTF-16 takes it re-encoded; UTF-32 and EBCDIC are left alone.
 */
export function charsetKind(charset: string): CharsetKind | null {
  const c = charset.replace(/^["']|["']$/g, '');
  if (c === 'utf-16le' || c === 'unicodelittleunmarked') return 'utf-16le';
  if (c === 'utf-16be' || c === 'unicodebigunmarked') return 'utf-16be';
  if (c === 'utf-16' || c === 'ucs-2' || c === 'iso-10646-ucs-2' || c === 'unicode') return 'utf-16';
  if (/^(utf-?32|ucs-?4|iso-10646-ucs-4)|ebcdic|^(ibm|cp)0?(37|273|277|278|280|284|285|297|500|870|871|875|1025|1026|1047|114\d)$/.test(c)) return null;
  return 'ascii';
}

/** Encodes ASCII banner text in a charset kind (`bom` of the existing body decides plain UTF-16). */
export function encodeAscii(text: string, kind: CharsetKind, bodyStartsWith?: Buffer): Buffer {
  if (kind === 'ascii') return Buffer.from(text, 'latin1');
  const le = Buffer.from(text, 'utf16le');
  const bigEndian = kind === 'utf-16be' || (kind === 'utf-16' && !(bodyStartsWith && bodyStartsWith[0] === 0xff && bodyStartsWith[1] === 0xfe));
  return bigEndian ? le.swap16() : le;
}

/** Decodes a quoted-printable body to bytes (lenient: bad escapes are kept as they are). */
export function decodeQP(input: Buffer): Buffer {
  const out = Buffer.allocUnsafe(input.length);
  let o = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c !== 61) {
      out[o++] = c;
      continue;
    }
    // Soft line break, tolerating whitespace between '=' and the line end.
    let j = i + 1;
    while (j < input.length && (input[j] === 32 || input[j] === 9)) j++;
    if (j < input.length && input[j] === 10) { i = j; continue; }
    if (j + 1 < input.length && input[j] === 13 && input[j + 1] === 10) { i = j + 1; continue; }
    if (j >= input.length) { i = j; continue; }
    const h = hexVal(input[i + 1]);
    const l = hexVal(input[i + 2]);
    if (h >= 0 && l >= 0) {
      out[o++] = h * 16 + l;
      i += 2;
    } else {
      out[o++] = c;
    }
  }
  return out.subarray(0, o);
}

function hexVal(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

const HEX = Buffer.from('0123456789ABCDEF', 'latin1');

/**
 * Quoted-printable encoding (RFC 2045): lines of at most 76 characters, '=' and non-printable
 * bytes escaped, whitespace before a line end escaped. With `hardBreaks`, '\n' (or '\r\n') in
 * the input becomes a line break; otherwise it is escaped. The result ends without a break.
 */
export function encodeQP(bytes: Uint8Array, eol: string, hardBreaks = true): string {
  const out = Buffer.allocUnsafe(bytes.length * 3 + Math.ceil(bytes.length / 25) * 3 + 8);
  const crlf = eol === '\r\n';
  let o = 0;
  let lineStart = 0;
  const breakLine = (soft: boolean): void => {
    // Whitespace before a line end must be escaped.
    if (!soft && o > lineStart && (out[o - 1] === 32 || out[o - 1] === 9)) {
      const c = out[o - 1]!;
      out[o - 1] = 61;
      out[o++] = HEX[c >> 4]!;
      out[o++] = HEX[c & 15]!;
    }
    if (soft) out[o++] = 61;
    if (crlf) out[o++] = 13;
    out[o++] = 10;
    lineStart = o;
  };
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (hardBreaks && (c === 10 || (c === 13 && bytes[i + 1] === 10))) {
      if (c === 13) i++;
      breakLine(false);
      continue;
    }
    // Never start a line with '.', so a downstream hop that mishandles dot-stuffing cannot eat it.
    let literal = (c >= 33 && c <= 126 && c !== 61) || c === 32 || c === 9;
    if (o - lineStart + (literal ? 1 : 3) > 75) breakLine(true);
    if (literal && c === 46 && o === lineStart) literal = false;
    if (literal) out[o++] = c;
    else {
      out[o++] = 61;
      out[o++] = HEX[c >> 4]!;
      out[o++] = HEX[c & 15]!;
    }
  }
  if (o > lineStart && (out[o - 1] === 32 || out[o - 1] === 9)) {
    const c = out[o - 1]!;
    out[o - 1] = 61;
    out[o++] = HEX[c >> 4]!;
    out[o++] = HEX[c & 15]!;
  }
  return out.toString('latin1', 0, o);
}

/** Base64 in lines of 76 characters, each followed by `eol`. */
export function encodeBase64Lines(bytes: Buffer, eol: string): string {
  const b64 = bytes.toString('base64');
  let out = '';
  for (let i = 0; i < b64.length; i += 76) out += b64.slice(i, i + 76) + eol;
  return out;
}

/** The decoded bytes of a part's body. */
export function decodeBody(raw: Buffer, p: MimePart): Buffer {
  const body = raw.subarray(p.bodyStart, p.end);
  const t = transferOf(p);
  if (t === 'base64') return Buffer.from(body.toString('latin1', 0, body.length), 'base64');
  if (t === 'quoted-printable') return decodeQP(body);
  return body;
}

/** Re-encodes decoded bytes with a part's transfer encoding. */
export function encodeBody(bytes: Buffer, p: MimePart, eol: string): Buffer {
  const t = transferOf(p);
  if (t === 'base64') return Buffer.from(encodeBase64Lines(bytes, eol).replace(/\r?\n$/, ''), 'latin1');
  if (t === 'quoted-printable') return Buffer.from(encodeQP(bytes, eol), 'latin1');
  return bytes;
}

const decoders = new Map<string, TextDecoder | null>();

/** Decodes bytes in a charset to a string; unknown charsets fall back to latin1 (ASCII stays readable). */
export function decodeCharset(bytes: Buffer, charset: string): string {
  const label = charset.replace(/^["']|["']$/g, '') || 'utf-8';
  let d = decoders.get(label);
  if (d === undefined) {
    try {
      d = new TextDecoder(label === 'ks_c_5601-1987' ? 'euc-kr' : label);
    } catch {
      d = null;
    }
    if (decoders.size < 200) decoders.set(label, d);
  }
  return d ? d.decode(bytes) : bytes.toString('latin1', 0, bytes.length);
}
