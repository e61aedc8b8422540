import { parse as parseDomain } from 'tldts';

/**
 * URLs found in a reported message: extracted from text and HTML, decoded, normalised,
 * shown defanged, with their registrable domain. Pure: no I/O, nothing is fetched.
 */

export interface FoundUrl {
  /** WHATWG-normalised URL (lower-case host, punycode, default port dropped). */
  url: string;
  /** The same, safe to show: `hxxps://evil[.]example/…`. */
  defanged: string;
  host: string;
  /** Registrable domain (public suffix + one label, via tldts), or the IP address. */
  domain: string;
  /** Where it was found: 'text', 'href', 'src', 'form', 'css', or 'wrapped' (inside a safe-links URL). */
  sources: string[];
}

const MAX_URLS = 500;
const TEXT_URL = /\b(?:(?:https?|ftp):\/\/|www\.)[^\s<>"'`{}|\\^[\]]+/gi;
const CSS_URL = /url\(\s*(['"]?)([^'")]+)\1\s*\)/gi;

/** The registrable domain of a host name (or the host itself for an IP address or bare name). */
export function registrableDomain(host: string): string {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  const p = parseDomain(h);
  if (p.isIp) return h;
  return p.domain ?? h;
}

/** A URL made safe to display and copy without becoming a live link. */
export function defang(url: string): string {
  return url
    .replace(/^http/i, 'hxxp')
    .replace(/^ftp/i, 'fxp')
    .replace(/^([a-z]+:\/\/)([^/?#]*)/i, (_m, scheme: string, authority: string) => scheme + authority.replace(/\./g, '[.]'));
}

function trimTrailing(raw: string): string {
  let s = raw.replace(/[.,;:!?'"]+$/, '');
  // A closing bracket belongs to the URL only when it opened one inside it.
  while (/[)\]>]$/.test(s)) {
    const close = s.at(-1)!;
    const open = close === ')' ? '(' : close === ']' ? '[' : '<';
    if (s.split(open).length - 1 >= s.split(close).length - 1) break;
    s = s.slice(0, -1).replace(/[.,;:!?'"]+$/, '');
  }
  return s;
}

/** Normalises one candidate URL; null when it is not an http(s)/ftp URL with a host. */
export function normaliseUrl(candidate: string): URL | null {
  let s = candidate.trim().replace(/[\u0000-\u001f\u007f]/g, '');
  if (/^www\./i.test(s)) s = 'http://' + s;
  if (/^\/\//.test(s)) s = 'http:' + s;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return null;
  }
  if (!['http:', 'https:', 'ftp:'].includes(u.protocol) || !u.hostname) return null;
  return u;
}

/** Collects URLs: add() each candidate with its source; list() returns them de-duplicated. */
export class UrlCollector {
  private readonly found = new Map<string, FoundUrl>();

  add(candidate: string, source: string): void {
    if (this.found.size >= MAX_URLS) return;
    const u = normaliseUrl(candidate);
    if (!u) return;
    this.put(u, source);
    // Outlook "safe links" and similar wrappers hide the real destination in a parameter.
    if (/(^|\.)safelinks\.protection\.outlook\.com$/.test(u.hostname) || /(^|\.)urldefense\.(com|proofpoint\.com)$/.test(u.hostname)) {
      const inner = u.searchParams.get('url') ?? u.searchParams.get('u');
      const unwrapped = inner ? normaliseUrl(inner) : null;
      if (unwrapped) this.put(unwrapped, 'wrapped');
    }
  }

  addText(text: string, source = 'text'): void {
    for (const m of text.matchAll(TEXT_URL)) this.add(trimTrailing(m[0]), source);
  }

  addCss(css: string): void {
    for (const m of css.matchAll(CSS_URL)) this.add(m[2]!, 'css');
  }

  list(): FoundUrl[] {
    return [...this.found.values()];
  }

  private put(u: URL, source: string): void {
    const url = u.toString();
    const have = this.found.get(url);
    if (have) {
      if (!have.sources.includes(source)) have.sources.push(source);
      return;
    }
    this.found.set(url, { url, defanged: defang(url), host: u.hostname, domain: registrableDomain(u.hostname), sources: [source] });
  }
}

const URL_ATTRS: Record<string, string> = { href: 'href', src: 'src', action: 'form', background: 'src', formaction: 'form', poster: 'src', data: 'src', cite: 'href', srcset: 'src', content: 'href' };
const ATTR = /(?:^|[\s/"'])(href|src|action|background|formaction|poster|data|cite|srcset|style|content)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/gi;
const TAG = /<([a-z][a-z0-9:-]*)\b([^>]*)>/gi;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", sol: '/', colon: ':', period: '.', nbsp: ' ', quest: '?', equals: '=', num: '#', percnt: '%' };

/** HTML character references decoded (numeric, and the named ones that matter in URLs). */
export function decodeHtmlEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s
    .replace(/&#x([0-9a-f]{1,6});?/gi, (_m, h: string) => String.fromCodePoint(Math.min(parseInt(h, 16), 0x10ffff)))
    .replace(/&#(\d{1,7});?/g, (_m, d: string) => String.fromCodePoint(Math.min(Number(d), 0x10ffff)))
    .replace(/&([a-z]+);?/gi, (m, n: string) => NAMED[n.toLowerCase()] ?? m);
}

/**
 * Every URL in an HTML body: link targets, image and form sources, CSS url() and
 * @import, meta refresh, and URLs in the text. A tolerant scan (regular expressions over
 * tags and attributes) rather than a full parse: it may find a little more than a browser
 * would use, never less, and costs a fraction of a parser on large bodies.
 */
export function collectHtmlUrls(html: string, into: UrlCollector): void {
  for (const m of html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style\s*>/gi)) {
    const css = decodeHtmlEntities(m[1]!);
    into.addCss(css);
    for (const i of css.matchAll(/@import\s+(['"])([^'"]+)\1/gi)) into.add(i[2]!, 'css');
  }
  for (const t of html.matchAll(TAG)) {
    const tag = t[1]!.toLowerCase();
    const attrs = t[2]!;
    if (!attrs) continue;
    for (const a of attrs.matchAll(ATTR)) {
      const name = a[1]!.toLowerCase();
      const value = decodeHtmlEntities(a[2] ?? a[3] ?? a[4] ?? '');
      if (name === 'style') into.addCss(value);
      else if (name === 'srcset') for (const c of value.split(',')) into.add(c.trim().split(/\s+/)[0] ?? '', 'src');
      else if (name === 'content') {
        if (tag === 'meta' && /http-equiv\s*=\s*["']?refresh/i.test(attrs)) {
          const r = /url\s*=\s*['"]?([^'"\s]+)/i.exec(value);
          if (r) into.add(r[1]!, 'href');
        }
      } else into.add(value, URL_ATTRS[name]!);
    }
  }
  const text = decodeHtmlEntities(html.replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ').replace(/<[^>]*>/g, ' '));
  into.addText(text);
}
