/**
 * Structured header values (`value; name=param; …`, RFC 2045) and RFC 2231 parameter
 * values (continuations, charsets). Pure; never throws.
 */
import { decodeCharset } from './charset.js';
import { decodeWords } from './words.js';

export interface HeaderParams {
  /** The value before the first ';', lower case. */
  value: string;
  /** Parameters as written (lower-case names, first one wins, quotes removed); RFC 2231 names keep their '*'. */
  params: Record<string, string>;
}

/**
 * Parses `value; a=b; c="d"` as mailsplit (mailparser's splitter) reads the structure: the
 * parameters as written, so a boundary or charset is exactly what the reader's client uses.
 */
export function parseHeaderValue(input: string): HeaderParams {
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

/** `charset'lang'%xx…` (RFC 2231 §4) decoded; without `withCharset` only the percent escapes (UTF-8). */
function extendedValue(v: string, withCharset: boolean): string {
  let charset = 'utf-8';
  let text = v;
  if (withCharset) {
    const m = /^([^']*)'[^']*'(.*)$/.exec(v);
    if (m) { charset = m[1] || 'utf-8'; text = m[2]!; }
  }
  const bytes = Buffer.from(text.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  return decodeCharset(bytes, charset);
}

/**
 * The text of one parameter for display (a filename): RFC 2231 continuations (`name*0`,
 * `name*1*`…) win over an extended value (`name*`), which wins over the plain one, whose
 * RFC 2047 words are decoded. Null when the parameter is absent.
 */
export function paramText(params: Readonly<Record<string, string>>, name: string): string | null {
  const segs: { n: number; v: string; enc: boolean }[] = [];
  const prefix = name + '*';
  for (const key in params) {
    if (!key.startsWith(prefix) || key.length === prefix.length) continue;
    const m = /^(\d+)(\*?)$/.exec(key.slice(prefix.length));
    if (m) segs.push({ n: Number(m[1]), v: params[key]!, enc: m[2] === '*' });
  }
  if (segs.length) {
    segs.sort((a, b) => a.n - b.n);
    const joined = segs.map((s) => s.v).join('');
    return segs.some((s) => s.enc) ? extendedValue(joined, segs[0]!.enc) : decodeWords(joined);
  }
  const ext = params[prefix];
  if (ext !== undefined) return extendedValue(ext, true);
  const plain = params[name];
  return plain === undefined ? null : decodeWords(plain);
}

/** A structured header value with every parameter decoded for display (see paramText). */
export function parseParams(input: string): HeaderParams {
  const { value, params: raw } = parseHeaderValue(input);
  const params: Record<string, string> = {};
  for (const key of Object.keys(raw)) {
    const base = key.replace(/\*(?:\d+\*?)?$/, '');
    if (!(base in params)) params[base] = paramText(raw, base)!;
  }
  return { value, params };
}
