/**
 * The MIME tree of a raw message: byte offsets of each part's headers and body, and the
 * few header values that decide how a part is read. Tolerant and zero-copy (a part's body
 * is a view of the message, never a copy), and never decodes anything; parts inside
 * message/* are not entered (a forwarded message is an attachment and keeps its bytes).
 * Boundaries and defaults follow mailsplit's (the parser of mailparser), with RFC 2046
 * transport padding unless reading as MIME_DISPLAY. Nesting and width are bounded
 * (MimeReading), so hostile input cannot exhaust the stack or the time. Pure: no I/O.
 */
import { parseHeaderValue } from './params.js';

export interface MimePart {
  /** Offset of the first header byte. */
  start: number;
  /** Offset just past the last header line (its line break included). */
  headerEnd: number;
  /** Offset of the first body byte (after the blank line). */
  bodyStart: number;
  /** Offset just past the body (the line break before the next boundary excluded). */
  end: number;
  /** The body as it is in the message, still transfer-encoded: `raw[bodyStart, end)`, a view, not a copy. */
  body: Buffer;
  /** False when the part has no blank line after its headers (a header-only part). */
  hasSeparator: boolean;
  /** Lower-case `type/subtype`, defaulted as mailsplit does when the header is missing. */
  contentType: string;
  /** Content-Type parameters as written (see parseHeaderValue). */
  params: Record<string, string>;
  /** Lower-case charset parameter, '' when absent. */
  charset: string;
  /** Lower-case Content-Transfer-Encoding, '' when absent (identity). */
  encoding: string;
  /** Lower-case disposition value, '' when absent. */
  disposition: string;
  /** True when a filename or name parameter is present. */
  hasFilename: boolean;
  /** Content-Disposition parameters as written (see parseHeaderValue; filenameOf decodes the name). */
  dispositionParams: Record<string, string>;
  children: MimePart[];
}

/**
 * How a tree is read. Hostile-input limits: a multipart deeper than `maxDepth` is an opaque
 * leaf, parts past `maxParts` are left out. `transportPadding`: white space after a boundary
 * is padding (RFC 2046, as most clients read); without it a boundary line is exact (as mailsplit reads).
 */
export interface MimeReading {
  readonly maxDepth: number;
  readonly maxParts: number;
  readonly transportPadding: boolean;
}

/** The default, for reading what a message carries (attached messages, links, text), as RFC 2046 says. */
export const MIME_CONTENT: MimeReading = Object.freeze({ maxDepth: 24, maxParts: 2000, transportPadding: true });

/**
 * For finding the body parts a reader's client shows, to change them in place: the tree
 * mailsplit (mailparser) sees, followed deeper, so nesting alone cannot hide a body.
 */
export const MIME_DISPLAY: MimeReading = Object.freeze({ maxDepth: 40, maxParts: 2000, transportPadding: false });

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

/**
 * Whether the line at `pos` is `--boundary` (1) or `--boundary--` (2); 0 otherwise. Without
 * `padding` exactly as mailsplit decides; with it, white space may follow (RFC 2046 §5.1.1).
 */
function boundaryKind(s: string, pos: number, end: number, blen: number, padding: boolean): 0 | 1 | 2 {
  let i = pos + 2 + blen;
  let j = i;
  if (padding) while (j < end && (s.charCodeAt(j) === 32 || s.charCodeAt(j) === 9)) j++;
  if (j >= end || s.charCodeAt(j) === 13 || s.charCodeAt(j) === 10) return 1;
  if (s.charCodeAt(i) !== 45 || s.charCodeAt(i + 1) !== 45) return 0;
  i += 2;
  if (padding) while (i < end && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  if (i >= end || s.charCodeAt(i) === 13 || s.charCodeAt(i) === 10) return 2;
  return 0;
}

/** Offsets [partStart, partEnd) of the children of a multipart body. */
function splitOffsets(s: string, bodyStart: number, end: number, boundary: string, padding: boolean): Array<[number, number]> {
  const needle = '--' + boundary;
  const parts: Array<[number, number]> = [];
  let open = -1;
  let pos = bodyStart;
  while (pos < end) {
    const at = s.indexOf(needle, pos);
    if (at < 0 || at + needle.length > end) break;
    pos = at + needle.length;
    if (at !== bodyStart && s.charCodeAt(at - 1) !== 10) continue;
    const kind = boundaryKind(s, at, end, boundary.length, padding);
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

/** The parts (headers and body, views of `body`) of a multipart body with this boundary, as parseMime cuts them. */
export function splitMultipart(body: Buffer, boundary: string, reading: MimeReading = MIME_CONTENT): Buffer[] {
  return splitOffsets(body.toString('latin1'), 0, body.length, boundary, reading.transportPadding).map(([s, e]) => body.subarray(s, e));
}

/**
 * Reads the MIME tree of a raw message (or of a part's bytes). Never throws on malformed
 * input: what cannot be understood becomes an opaque leaf, and so does what lies past the limits.
 */
export function parseMime(raw: Buffer, reading: MimeReading = MIME_CONTENT): MimePart {
  const walk = { raw, reading, parts: 0 };
  // Latin-1 maps each byte to one character: string offsets are byte offsets, and V8's
  // string search is faster than many small Buffer calls.
  return parsePart(walk, raw.toString('latin1'), 0, raw.length, 'text/plain', 0);
}

interface Walk {
  raw: Buffer;
  reading: MimeReading;
  parts: number;
}

function parsePart(walk: Walk, s: string, start: number, end: number, defaultType: string, depth: number): MimePart {
  walk.parts++;
  const { headerEnd, bodyStart, hasSeparator } = findHeaderEnd(s, start, end);
  let ctHeader: string | undefined;
  let cteHeader: string | undefined;
  let cdHeader: string | undefined;
  // Only the three Content-* fields matter here: one regex pass finds them (first one wins).
  const section = s.slice(start, headerEnd);
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
  const hasFilename = Boolean(cd.params.filename || ct.params.name || cd.params['filename*'] || cd.params['filename*0'] || cd.params['filename*0*']);
  const part: MimePart = {
    start,
    headerEnd,
    bodyStart,
    end,
    body: walk.raw.subarray(bodyStart, end),
    hasSeparator,
    contentType,
    params: ct.params,
    charset: (ct.params.charset ?? '').trim().toLowerCase(),
    encoding: (cteHeader ?? '').replace(/\(.*\)/g, '').trim().toLowerCase(),
    disposition: cd.value,
    hasFilename,
    dispositionParams: cd.params,
    children: [],
  };
  const boundary = ct.params.boundary;
  if (contentType.startsWith('multipart/') && boundary && depth < walk.reading.maxDepth && walk.parts < walk.reading.maxParts) {
    const childType = contentType === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
    for (const [cs, ce] of splitOffsets(s, bodyStart, end, boundary, walk.reading.transportPadding)) {
      if (walk.parts >= walk.reading.maxParts) break;
      part.children.push(parsePart(walk, s, cs, ce, childType, depth + 1));
    }
  }
  return part;
}

/** Every leaf part, depth first (message/* parts are leaves). */
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
