import addressparser from 'nodemailer/lib/addressparser';

/**
 * Header-only view of a raw RFC 5322 message: the gateway's hot path never parses MIME
 * bodies. Pure functions over Buffers; they never throw on malformed input (a line
 * without a colon is kept as a nameless field, a message without a blank line is all
 * header), and every rewrite keeps every byte it does not mean to change.
 */

export interface HeaderField {
  /** Lower-case field name, without white space before the colon ('' for a malformed line without a colon). */
  name: string;
  /** Byte offsets of the whole field in the message, continuation lines and line ending included. */
  start: number;
  end: number;
  /** Unfolded value (UTF-8), leading and trailing white space removed. */
  value: string;
}

export interface MessageHead {
  fields: HeaderField[];
  /** Offset of the first body byte (the message length when there is no body). */
  bodyStart: number;
  /** The line ending the header uses ('\r\n' unless the message uses bare LF). */
  eol: string;
}

const LF = 0x0a;
const CR = 0x0d;

/** Splits the header block into fields. Linear in the header size; never reads the body. */
export function parseHead(raw: Buffer): MessageHead {
  const fields: HeaderField[] = [];
  let pos = 0;
  let eol = '\r\n';
  let sawEol = false;
  let current: { start: number; end: number } | null = null;
  const finish = (): void => {
    if (!current) return;
    const text = raw.toString('utf8', current.start, current.end);
    const colon = text.indexOf(':');
    // RFC 5322 §4.5 (obsolete syntax, which readers still show): white space may come before the colon.
    const bare = colon > 0 ? text.slice(0, colon).replace(/[ \t]+$/, '') : '';
    const name = bare && !/[\s]/.test(bare) ? bare.toLowerCase() : '';
    const value = (name ? text.slice(colon + 1) : text).replace(/\r?\n[ \t]/g, ' ').replace(/\r?\n$/, '').trim();
    fields.push({ name, start: current.start, end: current.end, value });
    current = null;
  };
  while (pos < raw.length) {
    let nl = raw.indexOf(LF, pos);
    const lineEnd = nl === -1 ? raw.length : nl + 1;
    if (!sawEol && nl !== -1) {
      eol = nl > 0 && raw[nl - 1] === CR ? '\r\n' : '\n';
      sawEol = true;
    }
    const contentEnd = nl === -1 ? raw.length : nl > pos && raw[nl - 1] === CR ? nl - 1 : nl;
    if (contentEnd === pos && nl !== -1) {
      // the blank line ends the header
      finish();
      return { fields, bodyStart: lineEnd, eol };
    }
    const first = raw[pos];
    if ((first === 0x20 || first === 0x09) && current) {
      current.end = lineEnd;
    } else {
      finish();
      current = { start: pos, end: lineEnd };
    }
    pos = lineEnd;
    nl = -1;
  }
  finish();
  return { fields, bodyStart: raw.length, eol };
}

/** Values of every field with this (lower-case) name, in order. */
export function fieldValues(head: MessageHead, name: string): string[] {
  const out: string[] = [];
  for (const f of head.fields) if (f.name === name) out.push(f.value);
  return out;
}

/** The first value of a field, or null. */
export function fieldValue(head: MessageHead, name: string): string | null {
  for (const f of head.fields) if (f.name === name) return f.value;
  return null;
}

/** A copy of `raw` without the given fields (by identity, from parseHead of the same buffer). */
export function removeFields(raw: Buffer, remove: readonly HeaderField[]): Buffer {
  if (!remove.length) return raw;
  const sorted = [...remove].sort((a, b) => a.start - b.start);
  const parts: Buffer[] = [];
  let pos = 0;
  for (const f of sorted) {
    if (f.start > pos) parts.push(raw.subarray(pos, f.start));
    pos = Math.max(pos, f.end);
  }
  parts.push(raw.subarray(pos));
  return Buffer.concat(parts);
}

/** `lines` (complete header fields, each ending in a line break) put in front of `raw`. */
export function prependFields(raw: Buffer, lines: string): Buffer {
  return lines ? Buffer.concat([Buffer.from(lines, 'utf8'), raw]) : raw;
}

/** Converts CRLF header text to the message's own line ending (a bare-LF message stays bare LF). */
export function withEol(text: string, eol: string): string {
  return eol === '\r\n' ? text : text.replace(/\r\n/g, eol);
}

/** Lower-cased addresses of an address-list header value (groups flattened, junk skipped). */
export function addressesIn(value: string): string[] {
  try {
    return addressparser(value, { flatten: true })
      .map((a) => (typeof a.address === 'string' ? a.address.trim().toLowerCase() : ''))
      .filter((a) => a.includes('@'));
  } catch {
    return [];
  }
}

const ENCODED_WORD = /=\?([^?\s]+)\?([bqBQ])\?([^?\s]*)\?=/g;

/** Decodes RFC 2047 encoded words for display (unknown charsets are left encoded). */
export function decodeWords(value: string): string {
  return value.replace(/(=\?[^?\s]+\?[bqBQ]\?[^?\s]*\?=)\s+(?==\?)/g, '$1').replace(ENCODED_WORD, (whole, charset: string, enc: string, text: string) => {
    try {
      const bytes = enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64')
        : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9a-f]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
      return new TextDecoder(charset.split('*')[0]!.toLowerCase()).decode(bytes);
    } catch {
      return whole;
    }
  });
}
