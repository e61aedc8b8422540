/**
 * Writing and removing safety tips in raw messages, MIME-safe: only the header section and the
 * first text/plain and text/html body parts change; every other byte is copied as it is
 * (attachments, forwarded messages, preambles, boundaries). Pure functions.
 */
import { type BannerOptions, bannerFor } from './banner.js';
import {
  decodeBody, encodeBase64Lines, encodeBody, encodeQuotedPrintable, findBodyParts, lineBreakOf, MIME_DISPLAY, type MimePart, parseMime, transferOf,
} from '../platform/mail/mime/index.js';
import { charsetKind, encodeAscii } from './codec.js';
import { needsTip, tipHeaderValue, type TipDecision } from './mailtips.js';
import { containsMarker, stripMarkedBlocks, TIP_HEADER } from './strip.js';

export type StampOptions = BannerOptions;

interface Edit {
  start: number;
  end: number;
  ins: Buffer;
}

/** Applies non-overlapping edits (sorted here) to a buffer. */
function applyEdits(raw: Buffer, edits: Edit[]): Buffer {
  if (edits.length === 0) return raw;
  edits.sort((a, b) => a.start - b.start);
  const pieces: Buffer[] = [];
  let pos = 0;
  for (const e of edits) {
    pieces.push(raw.subarray(pos, e.start), e.ins);
    pos = e.end;
  }
  pieces.push(raw.subarray(pos));
  return Buffer.concat(pieces);
}

// `[^<>]` keeps each search linear on hostile input.
const BODY_RE = /<body(?=[\s>/])[^<>]*>/i;
const HEAD_END_RE = /<\/head\s*>/i;
const HTML_RE = /<html(?=[\s>])[^<>]*>/i;
const DOCTYPE_RE = /<!doctype[^<>]*>/i;

/** Index in an HTML string just after `<body…>` (or `</head>`, `<html…>`, `<!doctype…>`, a BOM), else 0. */
export function htmlInsertionIndex(html: string): number {
  for (const re of [BODY_RE, HEAD_END_RE, HTML_RE, DOCTYPE_RE]) {
    const m = re.exec(html);
    if (m) return m.index + m[0].length;
  }
  if (html.startsWith('\u00ef\u00bb\u00bf')) return 3; // UTF-8 BOM read as Latin-1
  if (html.charCodeAt(0) === 0xfeff) return 1;
  return 0;
}

function startsWithUtf8Bom(b: Buffer, at: number): boolean {
  return b[at] === 0xef && b[at + 1] === 0xbb && b[at + 2] === 0xbf;
}

/** Decodes the whole body, inserts the banner, re-encodes with the same transfer encoding. */
function reencodeEdit(raw: Buffer, p: MimePart, kind: 'text' | 'html', banner: string, eol: string): Edit | null {
  const ck = charsetKind(p.charset);
  if (!ck) return null;
  const decoded = decodeBody(p);
  let at = 0;
  if (ck === 'ascii') {
    if (kind === 'html') at = htmlInsertionIndex(decoded.toString('latin1', 0, decoded.length));
    else if (startsWithUtf8Bom(decoded, 0)) at = 3;
  } else {
    const bom = (decoded[0] === 0xfe && decoded[1] === 0xff) || (decoded[0] === 0xff && decoded[1] === 0xfe) ? 2 : 0;
    const bigEndian = ck === 'utf-16be' || (ck === 'utf-16' && !(decoded[0] === 0xff && decoded[1] === 0xfe));
    if (kind === 'html') {
      const units = Buffer.from(decoded.subarray(0, decoded.length & ~1));
      if (bigEndian) units.swap16();
      at = 2 * htmlInsertionIndex(units.toString('utf16le'));
    }
    if (at < bom) at = bom;
  }
  const bannerBytes = encodeAscii(kind === 'html' ? eol + banner : banner, ck, decoded);
  const body = Buffer.concat([decoded.subarray(0, at), bannerBytes, decoded.subarray(at)]);
  let ins = encodeBody(body, p, eol);
  const trailingBreak = p.end > p.bodyStart && raw[p.end - 1] === 10;
  if (transferOf(p) !== 'identity' && trailingBreak) ins = Buffer.concat([ins, Buffer.from(eol, 'latin1')]);
  return { start: p.bodyStart, end: p.end, ins };
}

/** The edit that puts the banner at the top of one body part, or null where that is not safe. */
function stampPart(raw: Buffer, p: MimePart, kind: 'text' | 'html', banner: string, eol: string): Edit | null {
  const ck = charsetKind(p.charset);
  if (!ck) return null;
  const t = transferOf(p);
  if (!p.hasSeparator) {
    // A header-only part: add the blank line, then the banner as its body.
    const sep = (p.headerEnd > p.start && raw[p.headerEnd - 1] === 10 ? '' : eol) + eol;
    const bytes = encodeAscii(banner, ck);
    const body = t === 'base64' ? encodeBase64Lines(bytes, eol) : t === 'quoted-printable' ? encodeQuotedPrintable(bytes, eol) : bytes.toString('latin1', 0, bytes.length);
    return { start: p.headerEnd, end: p.headerEnd, ins: Buffer.from(sep + body, 'latin1') };
  }
  if (ck !== 'ascii') return reencodeEdit(raw, p, kind, banner, eol);
  if (t === 'identity') {
    if (kind === 'text') {
      const at = startsWithUtf8Bom(raw, p.bodyStart) ? p.bodyStart + 3 : p.bodyStart;
      return { start: at, end: at, ins: Buffer.from(banner, 'latin1') };
    }
    const at = p.bodyStart + htmlInsertionIndex(raw.toString('latin1', p.bodyStart, p.end));
    return { start: at, end: at, ins: Buffer.from(at === p.bodyStart ? banner : eol + banner, 'latin1') };
  }
  if (t === 'quoted-printable') {
    const encoded = encodeQuotedPrintable(Buffer.from(banner, 'latin1'), eol, true);
    if (kind === 'text') {
      if (raw.toString('latin1', p.bodyStart, Math.min(p.end, p.bodyStart + 9)).toUpperCase() === '=EF=BB=BF') return reencodeEdit(raw, p, kind, banner, eol);
      return { start: p.bodyStart, end: p.bodyStart, ins: Buffer.from(encoded, 'latin1') };
    }
    const at = p.bodyStart + htmlInsertionIndex(raw.toString('latin1', p.bodyStart, p.end));
    const lineStart = at === p.bodyStart || raw[at - 1] === 10;
    // Mid-line: end the line with a soft break, so the decoded text runs on unchanged.
    return { start: at, end: at, ins: Buffer.from((lineStart ? '' : '=' + eol) + encoded, 'latin1') };
  }
  // base64
  if (kind === 'html') return reencodeEdit(raw, p, kind, banner, eol);
  const head = Buffer.from(raw.toString('latin1', p.bodyStart, Math.min(p.end, p.bodyStart + 8)).replace(/\s+/g, ''), 'base64');
  if (startsWithUtf8Bom(head, 0)) return reencodeEdit(raw, p, kind, banner, eol);
  // Banner bytes padded to a multiple of 3 encode to whole base64 quanta: the existing lines
  // then follow unchanged and the decoded text is banner + original.
  // The padding goes inside the last line (not at its end, where format=flowed reads a space as a soft break).
  const padded = banner.replace(/ \*\*\*(\r?\n\r?\n)$/, (m: string, breaks: string) => ' '.repeat((3 - (banner.length % 3)) % 3) + ' ***' + breaks);
  return { start: p.bodyStart, end: p.bodyStart, ins: Buffer.from(encodeBase64Lines(Buffer.from(padded, 'latin1'), eol), 'latin1') };
}

/**
 * Adds the X-Postwarden-Safety-Tip header and a visible, accessible banner at the top of the
 * first text/plain and text/html body parts. Pure; MIME-safe for every charset, encoding and
 * structure: nothing inside message/* parts or attachments changes. Returns the input itself
 * when the decision calls for no tip. Run stripImitations first. Never throws on malformed MIME.
 */
export function stampTips(raw: Buffer, decision: TipDecision, opts: StampOptions): Buffer {
  if (!needsTip(decision)) return raw;
  const eol = lineBreakOf(raw);
  const root = parseMime(raw, MIME_DISPLAY);
  const edits: Edit[] = [{ start: 0, end: 0, ins: Buffer.from(`${TIP_HEADER}: ${tipHeaderValue(decision)}${eol}`, 'latin1') }];
  const { text, html } = findBodyParts(root);
  if (text) {
    const e = stampPart(raw, text, 'text', bannerFor('text', decision, opts, eol), eol);
    if (e) edits.push(e);
  }
  if (html) {
    const e = stampPart(raw, html, 'html', bannerFor('html', decision, opts, eol), eol);
    if (e) edits.push(e);
  }
  return applyEdits(raw, edits);
}

/**
 * Removes inbound X-Postwarden-Safety-Tip headers and banners carrying our marker (so a sender
 * can neither forge nor suppress a tip). Pure; MIME-safe. Fast path: when the raw bytes carry no
 * trace of the marker (in plain, quoted-printable or base64 form) the input itself is returned
 * without parsing. Never throws on malformed MIME.
 */
export function stripImitations(raw: Buffer): Buffer {
  if (!containsMarker(raw)) return raw;
  const eol = lineBreakOf(raw);
  const root = parseMime(raw, MIME_DISPLAY);
  const edits: Edit[] = [];
  // Top-level header fields named like ours, folded continuation lines included.
  const section = raw.toString('latin1', 0, root.headerEnd);
  const fieldRe = /^x-postwarden-safety-tip[ \t]*:.*(?:\r?\n[ \t].*)*(?:\r?\n|$)/gim;
  let m: RegExpExecArray | null;
  while ((m = fieldRe.exec(section)) !== null) edits.push({ start: m.index, end: m.index + m[0].length, ins: Buffer.alloc(0) });
  for (const leaf of textLeavesWithMarker(raw, root)) {
    const ck = charsetKind(leaf.charset);
    if (!ck) continue;
    const decoded = decodeBody(leaf);
    const bigEndian = ck === 'utf-16be' || (ck === 'utf-16' && !(decoded[0] === 0xff && decoded[1] === 0xfe));
    let str: string;
    if (ck === 'ascii') str = decoded.toString('latin1', 0, decoded.length);
    else {
      const units = Buffer.from(decoded.subarray(0, decoded.length & ~1));
      if (bigEndian) units.swap16();
      str = units.toString('utf16le');
    }
    const cleaned = stripMarkedBlocks(str);
    if (cleaned === str) continue;
    let bytes: Buffer;
    if (ck === 'ascii') bytes = Buffer.from(cleaned, 'latin1');
    else {
      bytes = Buffer.from(cleaned, 'utf16le');
      if (bigEndian) bytes.swap16();
    }
    let ins = encodeBody(bytes, leaf, eol);
    if (transferOf(leaf) !== 'identity' && leaf.end > leaf.bodyStart && raw[leaf.end - 1] === 10) ins = Buffer.concat([ins, Buffer.from(eol, 'latin1')]);
    edits.push({ start: leaf.bodyStart, end: leaf.end, ins });
  }
  return applyEdits(raw, edits);
}

/** Text leaves (not attachments, never inside message/* parts) whose bytes may hold an imitation. */
function textLeavesWithMarker(raw: Buffer, root: MimePart): MimePart[] {
  const out: MimePart[] = [];
  const visit = (p: MimePart): void => {
    if (p.contentType.startsWith('multipart/')) {
      for (const c of p.children) visit(c);
    } else if ((p.contentType === 'text/plain' || p.contentType === 'text/html') && p.disposition !== 'attachment' && containsMarker(p.body)) {
      out.push(p);
    }
  };
  visit(root);
  return out;
}
