/**
 * A small, synchronous, byte-exact MIME walker. It exists because report intake must hand
 * back an attached message *exactly* as it was attached (the stored sample is the bytes of
 * the attachment, not a re-encoding), and because the gateway's block check must be
 * synchronous and cheap. It never descends into message/rfc822 parts (those are samples)
 * and stops at fixed depth and part limits, so hostile nesting cannot exhaust the stack.
 * Pure: no I/O.
 */

export interface Header {
  /** Lower-case name. */
  name: string;
  /** Unfolded value, as text (UTF-8, invalid bytes replaced). */
  value: string;
}

export interface MimePart {
  headers: Header[];
  /** Lower-case type/subtype; `text/plain` when absent or unparsable (RFC 2045 default). */
  contentType: string;
  params: Record<string, string>;
  disposition: string | null;
  filename: string | null;
  /** Lower-case Content-Transfer-Encoding, '7bit' when absent. */
  encoding: string;
  /** The body as it appears in the message (still transfer-encoded). */
  body: Buffer;
  children: MimePart[];
}

const MAX_DEPTH = 24;
const MAX_PARTS = 2000;

/** Index where the body starts and the end of the header block (blank line), for a message or part. */
export function splitHeaderBody(buf: Buffer): { headerEnd: number; bodyStart: number } {
  if (buf[0] === 0x0a) return { headerEnd: 0, bodyStart: 1 };
  if (buf[0] === 0x0d && buf[1] === 0x0a) return { headerEnd: 0, bodyStart: 2 };
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf < 0 && lf < 0) return { headerEnd: buf.length, bodyStart: buf.length };
  if (lf >= 0 && (crlf < 0 || lf < crlf)) return { headerEnd: lf + 1, bodyStart: lf + 2 };
  return { headerEnd: crlf + 2, bodyStart: crlf + 4 };
}

/** Unfolded header fields of a header block, in order. Lines without a colon are skipped. */
export function parseHeaders(block: Buffer): Header[] {
  const out: Header[] = [];
  const lines = block.toString('utf8').split(/\r?\n/);
  for (const line of lines) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && out.length) {
      out[out.length - 1]!.value += ' ' + line.trim();
      continue;
    }
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) continue;
    out.push({ name, value: line.slice(i + 1).trim() });
  }
  return out;
}

/** The first value of a header, or null. */
export function headerValue(headers: readonly Header[], name: string): string | null {
  return headers.find((h) => h.name === name)?.value ?? null;
}

/** Every value of a header, in order. */
export function headerValues(headers: readonly Header[], name: string): string[] {
  return headers.filter((h) => h.name === name).map((h) => h.value);
}

function decodeCharset(bytes: Uint8Array, charset: string): string {
  try {
    return new TextDecoder(charset.toLowerCase() === 'utf8' ? 'utf-8' : charset).decode(bytes);
  } catch {
    return Buffer.from(bytes).toString('latin1');
  }
}

/** RFC 2047 encoded words (`=?utf-8?B?…?=`) decoded; anything malformed is left as it is. */
export function decodeWords(s: string): string {
  if (!s.includes('=?')) return s;
  return s
    .replace(/(=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=/g, (_, charset: string, enc: string, text: string) => {
      const bytes = enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64')
        : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
      return decodeCharset(bytes, charset);
    });
}

/** `type/subtype; a=b; c*=utf-8''x` → value and parameters (RFC 2045, RFC 2231 continuations and charsets). */
export function parseParams(value: string): { value: string; params: Record<string, string> } {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === '"') quoted = !quoted;
    else if (ch === '\\' && quoted && i + 1 < value.length) { cur += value[++i]; continue; }
    if (ch === ';' && !quoted) { parts.push(cur); cur = ''; continue; }
    if (ch !== '"') cur += ch;
  }
  parts.push(cur);
  const main = parts.shift()!.trim().toLowerCase();
  const raw: Record<string, string> = {};
  const continued: Record<string, { n: number; v: string; enc: boolean }[]> = {};
  for (const p of parts) {
    const i = p.indexOf('=');
    if (i <= 0) continue;
    const key = p.slice(0, i).trim().toLowerCase();
    const v = p.slice(i + 1).trim();
    const m = /^([^*]+)\*(\d+)(\*?)$/.exec(key);
    if (m) (continued[m[1]!] ??= []).push({ n: Number(m[2]), v, enc: m[3] === '*' });
    else raw[key] = v;
  }
  const params: Record<string, string> = {};
  const ext = (v: string, withCharset: boolean): string => {
    let charset = 'utf-8';
    let text = v;
    if (withCharset) {
      const m = /^([^']*)'[^']*'(.*)$/.exec(v);
      if (m) { charset = m[1] || 'utf-8'; text = m[2]!; }
    }
    const bytes = Buffer.from(text.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    return decodeCharset(bytes, charset);
  };
  for (const [key, v] of Object.entries(raw)) {
    if (key.endsWith('*')) params[key.slice(0, -1)] = ext(v, true);
    else params[key] ??= decodeWords(v);
  }
  for (const [key, segs] of Object.entries(continued)) {
    segs.sort((a, b) => a.n - b.n);
    const anyEnc = segs.some((s) => s.enc);
    params[key] = anyEnc ? ext(segs.map((s) => s.v).join(''), segs[0]!.enc) : decodeWords(segs.map((s) => s.v).join(''));
  }
  return { value: main, params };
}

/** Body bytes of each part of a multipart body, per RFC 2046 (the line break before a delimiter belongs to it). */
export function splitMultipart(body: Buffer, boundary: string): Buffer[] {
  const delim = Buffer.from('--' + boundary, 'latin1');
  const parts: Buffer[] = [];
  let start = -1;
  let from = 0;
  for (;;) {
    const at = body.indexOf(delim, from);
    if (at < 0) break;
    from = at + delim.length;
    if (at > 0 && body[at - 1] !== 0x0a) continue;
    let j = at + delim.length;
    const closing = body[j] === 0x2d && body[j + 1] === 0x2d;
    if (closing) j += 2;
    while (body[j] === 0x20 || body[j] === 0x09) j++;
    const eol = j >= body.length || body[j] === 0x0a || (body[j] === 0x0d && body[j + 1] === 0x0a);
    if (!eol && !closing) continue;
    if (start >= 0) {
      let end = at;
      if (end > start && body[end - 1] === 0x0a) end--;
      if (end > start && body[end - 1] === 0x0d) end--;
      parts.push(body.subarray(start, Math.max(start, end)));
    }
    if (closing) return parts;
    start = j >= body.length ? body.length : body[j] === 0x0d ? j + 2 : j + 1;
  }
  if (start >= 0) parts.push(body.subarray(start));
  return parts;
}

/**
 * Parses a message (or part) into a tree. Multipart bodies are split; message/rfc822
 * and everything else are leaves. Never throws on malformed input.
 */
export function parseMime(buf: Buffer): MimePart {
  const budget = { parts: 0 };
  return parsePart(buf, 0, budget, 'text/plain');
}

function parsePart(buf: Buffer, depth: number, budget: { parts: number }, defaultType: string): MimePart {
  budget.parts++;
  const { headerEnd, bodyStart } = splitHeaderBody(buf);
  const headers = parseHeaders(buf.subarray(0, headerEnd));
  const ct = parseParams(headerValue(headers, 'content-type') ?? defaultType);
  const contentType = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(ct.value) ? ct.value : defaultType;
  const cd = headerValue(headers, 'content-disposition');
  const disp = cd ? parseParams(cd) : null;
  const filename = disp?.params.filename ?? ct.params.name ?? null;
  const encoding = (headerValue(headers, 'content-transfer-encoding') ?? '7bit').trim().toLowerCase();
  const body = buf.subarray(bodyStart);
  const part: MimePart = { headers, contentType, params: ct.params, disposition: disp?.value ?? null, filename, encoding, body, children: [] };
  const boundary = ct.params.boundary;
  if (contentType.startsWith('multipart/') && boundary && depth < MAX_DEPTH) {
    const childDefault = contentType === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
    for (const child of splitMultipart(body, boundary)) {
      if (budget.parts >= MAX_PARTS) break;
      part.children.push(parsePart(child, depth + 1, budget, childDefault));
    }
  }
  return part;
}

/** Quoted-printable decoding (RFC 2045 §6.7), lenient with bad escapes. */
export function decodeQuotedPrintable(body: Buffer): Buffer {
  const out = Buffer.alloc(body.length);
  let o = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== 0x3d) { out[o++] = c; continue; }
    const a = body[i + 1];
    if (a === 0x0d && body[i + 2] === 0x0a) { i += 2; continue; }
    if (a === 0x0a) { i += 1; continue; }
    const hex = body.toString('latin1', i + 1, i + 3);
    if (/^[0-9a-fA-F]{2}$/.test(hex)) { out[o++] = parseInt(hex, 16); i += 2; continue; }
    out[o++] = c;
  }
  return out.subarray(0, o);
}

/** The part's body with its transfer encoding removed (identity for 7bit, 8bit, binary and unknown). */
export function decodeBody(part: Pick<MimePart, 'encoding' | 'body'>): Buffer {
  // Node's decoder skips line breaks and other characters outside the alphabet.
  if (part.encoding === 'base64') return Buffer.from(part.body.toString('latin1'), 'base64');
  if (part.encoding === 'quoted-printable') return decodeQuotedPrintable(part.body);
  return part.body;
}

/** Text of a text/* part in its declared charset (latin1 when unknown). */
export function decodeText(part: MimePart): string {
  return decodeCharset(decodeBody(part), part.params.charset ?? 'utf-8');
}

/** Every leaf part, depth first (message/rfc822 parts are leaves). */
export function leaves(root: MimePart): MimePart[] {
  const out: MimePart[] = [];
  const stack: MimePart[] = [root];
  while (stack.length) {
    const p = stack.pop()!;
    if (p.children.length) for (let i = p.children.length - 1; i >= 0; i--) stack.push(p.children[i]!);
    else out.push(p);
  }
  return out;
}
