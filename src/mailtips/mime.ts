/**
 * A minimal, tolerant MIME structure reader over a raw message Buffer: byte offsets of each
 * part's headers and body, and the few header values the stamper needs. It never copies the
 * body and never decodes anything; parts inside message/* are not entered (a forwarded
 * message is an attachment and keeps its bytes). Boundary matching follows mailsplit's (the
 * parser of mailparser), so both see the same tree.
 */

export interface MimePart {
  /** Offset of the first header byte. */
  start: number;
  /** Offset just past the last header line (its line break included). */
  headerEnd: number;
  /** Offset of the first body byte (after the blank line). */
  bodyStart: number;
  /** Offset just past the body (the line break before the next boundary excluded). */
  end: number;
  /** False when the part has no blank line after its headers (a header-only part). */
  hasSeparator: boolean;
  /** Lower-case `type/subtype`, defaulted as mailsplit does when the header is missing. */
  contentType: string;
  /** Lower-case charset parameter, '' when absent. */
  charset: string;
  /** Lower-case Content-Transfer-Encoding, '' when absent (identity). */
  encoding: string;
  /** Lower-case disposition value, '' when absent. */
  disposition: string;
  /** True when a filename or name parameter is present. */
  hasFilename: boolean;
  children: MimePart[];
}

/** Nesting deeper than this is treated as an opaque leaf (no crash on hostile input). */
const MAX_DEPTH = 40;
/** More parts than this are left unexplored. */
const MAX_PARTS = 2000;

/** The line break the message uses ('\r\n' unless its first line ends with a bare '\n'). */
export function lineBreakOf(raw: Buffer): string {
  const nl = raw.indexOf(10);
  return nl > 0 && raw[nl - 1] !== 13 ? '\n' : '\r\n';
}

/** Offset of the end of the header section starting at `start` (see MimePart). */
function findHeaderEnd(s: string, start: number, end: number): { headerEnd: number; bodyStart: number; hasSeparator: boolean } {
  // A part that starts with a blank line has no headers.
  if (s.charCodeAt(start) === 10) return { headerEnd: start, bodyStart: start + 1, hasSeparator: true };
  if (s.charCodeAt(start) === 13 && s.charCodeAt(start + 1) === 10) return { headerEnd: start, bodyStart: start + 2, hasSeparator: true };
  // A sliced string costs no copy; searching it cannot run past the part.
  const part = s.slice(start, end);
  const a = part.indexOf('\n\r\n');
  // A bare-LF blank line counts only if it comes first; look for one only before `a`.
  const b = a < 0 ? part.indexOf('\n\n') : part.lastIndexOf('\n\n', a) >= 0 ? part.indexOf('\n\n') : -1;
  if (b >= 0) return { headerEnd: start + b + 1, bodyStart: start + b + 2, hasSeparator: true };
  if (a >= 0) return { headerEnd: start + a + 1, bodyStart: start + a + 3, hasSeparator: true };
  return { headerEnd: end, bodyStart: end, hasSeparator: false };
}

const CONTENT_FIELD_RE = /^(content-(?:type|transfer-encoding|disposition))[ \t]*:([^\n]*(?:\n[ \t][^\n]*)*)/gim;

/** Parses `value; a=b; c="d"` into the lower-case value and parameters (lower-case names). */
export function parseHeaderValue(input: string): { value: string; params: Record<string, string> } {
  const params: Record<string, string> = {};
  const semi = input.indexOf(';');
  const value = (semi < 0 ? input : input.slice(0, semi)).trim().toLowerCase();
  if (semi >= 0) {
    const re = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"?|([^;]*))/g;
    re.lastIndex = semi;
    let m: RegExpExecArray | null;
    while ((m = re.exec(input)) !== null) {
      const name = m[1]!.toLowerCase();
      if (!(name in params)) params[name] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!.trim();
    }
  }
  return { value, params };
}

/** Whether the line at `pos` is `--boundary` (1) or `--boundary--` (2), as mailsplit decides; 0 otherwise. */
function boundaryKind(s: string, pos: number, end: number, blen: number): 0 | 1 | 2 {
  let i = pos + 2 + blen;
  if (i >= end || s.charCodeAt(i) === 13 || s.charCodeAt(i) === 10) return 1;
  if (s.charCodeAt(i) !== 45 || s.charCodeAt(i + 1) !== 45) return 0;
  i += 2;
  if (i >= end || s.charCodeAt(i) === 13 || s.charCodeAt(i) === 10) return 2;
  return 0;
}

/** Offsets [partStart, partEnd) of the children of a multipart body. */
function splitMultipart(s: string, bodyStart: number, end: number, boundary: string): Array<[number, number]> {
  const needle = '--' + boundary;
  const parts: Array<[number, number]> = [];
  let open = -1;
  let pos = bodyStart;
  while (pos < end) {
    const at = s.indexOf(needle, pos);
    if (at < 0 || at + needle.length > end) break;
    pos = at + needle.length;
    if (at !== bodyStart && s.charCodeAt(at - 1) !== 10) continue;
    const kind = boundaryKind(s, at, end, boundary.length);
    if (kind === 0) continue;
    if (open >= 0) {
      // The line break before a boundary belongs to the boundary.
      let partEnd = at;
      if (partEnd > open && s.charCodeAt(partEnd - 1) === 10) partEnd--;
      if (partEnd > open && s.charCodeAt(partEnd - 1) === 13) partEnd--;
      parts.push([open, partEnd]);
      open = -1;
    }
    if (kind === 2) return parts;
    const nl = s.indexOf('\n', pos);
    open = nl < 0 || nl >= end ? end : nl + 1;
  }
  if (open >= 0) parts.push([open, end]);
  return parts;
}

/**
 * Reads the MIME tree of a raw message. Never throws on malformed input: what cannot be
 * understood becomes an opaque leaf.
 */
export function parseMime(raw: Buffer): MimePart {
  const budget = { parts: 0 };
  // Latin-1 maps each byte to one character: string offsets are byte offsets, and V8's
  // string search is faster than many small Buffer calls.
  return parsePart(raw.toString('latin1'), 0, raw.length, 'text/plain', 0, budget);
}

function parsePart(raw: string, start: number, end: number, defaultType: string, depth: number, budget: { parts: number }): MimePart {
  budget.parts++;
  const { headerEnd, bodyStart, hasSeparator } = findHeaderEnd(raw, start, end);
  let ctHeader: string | undefined;
  let cteHeader: string | undefined;
  let cdHeader: string | undefined;
  // Only the three Content-* fields matter here: one regex pass finds them (first one wins).
  const section = raw.slice(start, headerEnd);
  CONTENT_FIELD_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = CONTENT_FIELD_RE.exec(section)) !== null) {
    const name = m[1]!.toLowerCase();
    const value = m[2]!.replace(/\r?\n/g, '').trim();
    if (name === 'content-type') ctHeader ??= value;
    else if (name === 'content-transfer-encoding') cteHeader ??= value;
    else cdHeader ??= value;
  }
  const cd = parseHeaderValue(cdHeader ?? '');
  const ct = parseHeaderValue(ctHeader ?? '');
  let contentType = ct.value;
  if (!ctHeader) {
    contentType = cd.params.filename ? 'application/octet-stream' : cd.value === 'attachment' ? 'application/octet-stream' : defaultType;
  }
  const part: MimePart = {
    start,
    headerEnd,
    bodyStart,
    end,
    hasSeparator,
    contentType,
    charset: (ct.params.charset ?? '').trim().toLowerCase(),
    encoding: (cteHeader ?? '').replace(/\(.*\)/g, '').trim().toLowerCase(),
    disposition: cd.value,
    hasFilename: Boolean(cd.params.filename || ct.params.name || cd.params['filename*'] || cd.params['filename*0'] || cd.params['filename*0*']),
    children: [],
  };
  const boundary = ct.params.boundary;
  if (contentType.startsWith('multipart/') && boundary && depth < MAX_DEPTH && budget.parts < MAX_PARTS) {
    const childType = contentType === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
    for (const [s, e] of splitMultipart(raw, bodyStart, end, boundary)) {
      if (budget.parts >= MAX_PARTS) break;
      part.children.push(parsePart(raw, s, e, childType, depth + 1, budget));
    }
  }
  return part;
}

/** True for a part a reader sees as the message text (not an attachment). */
export function isBodyText(p: MimePart, type: 'text/plain' | 'text/html'): boolean {
  return p.contentType === type && p.children.length === 0 && p.disposition !== 'attachment' && !(p.hasFilename && p.disposition !== 'inline');
}

/**
 * The first text/plain and first text/html body parts, depth first, never inside message/*
 * parts: where a banner goes and what the lure scan reads.
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
