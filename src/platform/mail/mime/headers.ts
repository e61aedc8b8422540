import addressparser from 'nodemailer/lib/addressparser';

/**
 * The header section of a raw RFC 5322 message or MIME part: the one header parser, with
 * byte offsets, so the gateway's hot path reads headers without parsing bodies. Pure
 * functions over Buffers; they never throw on malformed input (a line without a colon is
 * kept as a nameless field, a message without a blank line is all header), and every
 * rewrite keeps every byte it does not mean to change.
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

/** The line break a message uses: that of its first line ('\r\n' when it has none). */
export function lineBreakOf(raw: Buffer): string {
  const nl = raw.indexOf(LF);
  return nl < 0 || (nl > 0 && raw[nl - 1] === CR) ? '\r\n' : '\n';
}

/** Splits the header block into fields. Linear in the header size; never reads the body. */
export function parseHead(raw: Buffer): MessageHead {
  const fields: HeaderField[] = [];
  let pos = 0;
  const eol = lineBreakOf(raw);
  let current: { start: number; end: number } | null = null;
  const finish = (): void => {
    if (!current) return;
    const text = raw.toString('utf8', current.start, current.end);
    const colon = text.indexOf(':');
    // RFC 5322 §4.5 (obsolete syntax, which readers still show): white space may come before the colon.
    const bare = colon > 0 ? text.slice(0, colon).replace(/[ \t]+$/, '') : '';
    // RFC 5322 §3.6.8: a field name is printable US-ASCII without the colon.
    const name = /^[\x21-\x39\x3b-\x7e]+$/.test(bare) ? bare.toLowerCase() : '';
    const value = (name ? text.slice(colon + 1) : text).replace(/\r?\n[ \t]/g, ' ').replace(/\r?\n$/, '').trim();
    fields.push({ name, start: current.start, end: current.end, value });
    current = null;
  };
  while (pos < raw.length) {
    let nl = raw.indexOf(LF, pos);
    const lineEnd = nl === -1 ? raw.length : nl + 1;
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

/** The named fields of a header block, in order (lines without a field name are left out). */
export function headerFields(block: Buffer): HeaderField[] {
  return parseHead(block).fields.filter((f) => f.name !== '');
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
