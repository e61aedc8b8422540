/**
 * Finding and removing imitations of our tips (pure). The fast check looks for any trace of
 * the marker in the raw bytes, in the forms it can take on the wire: plain (7bit, 8bit and
 * quoted-printable, where a soft line break can split it once: one of its two halves then
 * survives) and base64 (at each of the three byte alignments, split in two halves so that one
 * line break inside it still leaves one half whole).
 */
import { MARKER } from './banner.js';

export const TIP_HEADER = 'X-Postwarden-Safety-Tip';

/**
 * Needles: two overlapping pieces of the marker (any single split leaves one whole: a split
 * at k ≤ 11 keeps "safety-tip", at k ≥ 12 keeps "postwarden-s"), compared without case, and
 * the base64 fragments, compared exactly.
 */
const PLAIN = [MARKER.slice(0, 12), MARKER.slice(11)];

/** Base64 fragments that encode only marker bytes, for each alignment, in two halves each. */
function base64Needles(marker: string): string[] {
  const out: string[] = [];
  for (let align = 0; align < 3; align++) {
    // With `align` bytes before it in its 3-byte group, the marker's first whole group
    // starts at byte (3 - align) % 3 of the marker.
    const skip = (3 - align) % 3;
    const whole = Math.floor((marker.length - skip) / 3) * 3;
    const core = Buffer.from(marker.slice(skip, skip + whole), 'latin1').toString('base64');
    const half = Math.floor(core.length / 8) * 4;
    out.push(core.slice(0, half), core.slice(half));
  }
  return out;
}

const NEEDLES: Array<{ bytes: Uint8Array; fold: boolean }> = [
  ...PLAIN.map((n) => ({ bytes: Buffer.from(n, 'latin1'), fold: true })),
  ...base64Needles(MARKER).map((n) => ({ bytes: Buffer.from(n, 'latin1'), fold: false })),
];

// One pass for every needle at once (Wu-Manber, blocks of two bytes, case folded): most
// positions are skipped M - 1 bytes at a time, so a clean 5 KB message costs about a
// microsecond, and any case variant of a header name like ours is found too.
const M = Math.min(...NEEDLES.map((n) => n.bytes.length));
const FOLD = Uint8Array.from({ length: 256 }, (_, c) => (c >= 65 && c <= 90 ? c + 32 : c));
const SHIFT = new Uint8Array(65536).fill(M - 1);
for (const n of NEEDLES) {
  for (let j = 1; j < M; j++) {
    const block = (FOLD[n.bytes[j - 1]!]! << 8) | FOLD[n.bytes[j]!]!;
    SHIFT[block] = Math.min(SHIFT[block]!, M - 1 - j);
  }
}

function matchesAt(raw: Uint8Array, start: number, n: { bytes: Uint8Array; fold: boolean }): boolean {
  const b = n.bytes;
  if (start + b.length > raw.length) return false;
  for (let i = 0; i < b.length; i++) {
    const c = raw[start + i]!;
    if (c !== b[i] && !(n.fold && FOLD[c] === b[i])) return false;
  }
  return true;
}

/**
 * True when the bytes may hold an imitation: the marker in any case (which covers header
 * names like ours), split once or not, or in base64 at any alignment.
 */
export function containsMarker(raw: Uint8Array): boolean {
  const n = raw.length;
  let pos = M - 1;
  while (pos < n) {
    const s = SHIFT[(FOLD[raw[pos - 1]!]! << 8) | FOLD[raw[pos]!]!]!;
    if (s > 0) {
      pos += s;
      continue;
    }
    const start = pos - M + 1;
    for (const needle of NEEDLES) if (matchesAt(raw, start, needle)) return true;
    pos++;
  }
  return false;
}

const HTML_BEGIN_RE = /(?:\r?\n)?<!--\s*postwarden-safety-tip\s*-->/gi;
const HTML_END_RE = /<!--\s*\/\s*postwarden-safety-tip\s*-->[ \t]*(?:\r?\n)?/gi;
const TEXT_BEGIN_RE = /\(postwarden-safety-tip\)/gi;
const TEXT_END_RE = /\(\/postwarden-safety-tip\)/gi;
const BLANK_RE = /[ \t>]*\r?\n/y;
const STRAY_RE = /postwarden-safety-tip/gi;

/**
 * Removes each block from a begin match to the next end match. Linear: once no end follows a
 * begin, no later begin can have one either. With `lines`, whole lines go (the begin line to
 * the end line, and one blank line after it).
 */
function removeBlocks(s: string, begin: RegExp, end: RegExp, lines: boolean): string {
  let out = '';
  let pos = 0;
  for (;;) {
    begin.lastIndex = pos;
    const b = begin.exec(s);
    if (!b) break;
    end.lastIndex = b.index + b[0].length;
    const e = end.exec(s);
    if (!e) break;
    let from = b.index;
    let to = e.index + e[0].length;
    if (lines) {
      from = s.lastIndexOf('\n', b.index) + 1;
      const nl = s.indexOf('\n', to);
      to = nl < 0 ? s.length : nl + 1;
      BLANK_RE.lastIndex = to;
      if (BLANK_RE.test(s)) to = BLANK_RE.lastIndex;
    }
    out += s.slice(pos, Math.max(pos, from));
    pos = to;
  }
  return pos === 0 ? s : out + s.slice(pos);
}

/**
 * Removes banners carrying our marker (HTML comment-delimited blocks and plain-text blocks,
 * also when quoted with '>'), then defuses any marker left over, so no inbound content can be
 * taken for one of our banners. Linear in the length of the text.
 */
export function stripMarkedBlocks(s: string): string {
  STRAY_RE.lastIndex = 0;
  if (!STRAY_RE.test(s)) return s;
  const cleaned = removeBlocks(removeBlocks(s, HTML_BEGIN_RE, HTML_END_RE, false), TEXT_BEGIN_RE, TEXT_END_RE, true);
  return cleaned.replace(STRAY_RE, 'imitation-removed');
}
