/**
 * How banner text is written into a part's charset, so a banner goes in without touching the
 * rest of the part (decoding and transfer encodings are the MIME toolkit's). Pure.
 */

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
