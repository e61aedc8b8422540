import sanitizeHtml from 'sanitize-html';
import { defang, normaliseUrl } from './urls.js';

/**
 * Safe viewing of a sample's HTML. Defence in depth:
 * 1. sanitize-html keeps only formatting tags; no script, style sheet, form, frame, media
 *    or SVG survives, and no attribute that can load or run anything;
 * 2. links become plain text followed by their defanged address, images become a text
 *    placeholder: nothing is clickable and nothing points anywhere;
 * 3. the result is served by its own route under `FRAME_CSP` (no script, no image, font,
 *    frame or connection of any kind, CSP sandbox) inside `<iframe sandbox>` (no scripts).
 * Pure: no I/O.
 */

/** The Content-Security-Policy of the framed document. */
export const FRAME_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox";

const TAGS = [
  'p', 'div', 'span', 'br', 'hr', 'b', 'i', 'u', 'strong', 'em', 'small', 'big', 'sub', 'sup', 's', 'strike', 'del', 'ins', 'mark', 'tt',
  'blockquote', 'pre', 'code', 'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'center', 'font', 'abbr', 'address', 'cite', 'q',
  'table', 'thead', 'tbody', 'tfoot', 'tr', 'td', 'th', 'caption', 'colgroup', 'col', 'pw-link', 'pw-img',
];
const ATTRS = ['style', 'title', 'dir', 'lang', 'align', 'valign', 'width', 'height', 'colspan', 'rowspan', 'bgcolor', 'border', 'cellpadding', 'cellspacing', 'color', 'face', 'size'];

/** Style values that could load something or escape the frame's look are dropped whole. */
const RISKY_STYLE = /url\s*\(|expression|@import|\\|image-set|behaviou?r|-moz-binding|javascript:|position\s*:\s*(fixed|sticky)|src\s*\(/i;

function defangedOrRaw(value: string | undefined): string {
  const v = (value ?? '').trim();
  if (!v) return '';
  const u = normaliseUrl(v);
  return (u ? defang(u.toString()) : v.replace(/:/g, '[:]').replace(/\./g, '[.]')).slice(0, 300);
}

function clean(attribs: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(attribs)) {
    if (k === 'style' && RISKY_STYLE.test(v)) continue;
    out[k] = v;
  }
  return out;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The sample's HTML reduced to inert formatting, links and images shown as text. */
export function sanitiseSampleHtml(html: string): string {
  const out = sanitizeHtml(html, {
    allowedTags: TAGS,
    allowedAttributes: { '*': ATTRS, 'pw-link': ['data-href'], 'pw-img': ['data-src', 'data-alt'] },
    allowedSchemes: [],
    allowedSchemesAppliedToAttributes: [],
    disallowedTagsMode: 'discard',
    nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'head', 'template', 'svg', 'math', 'xmp', 'iframe', 'noembed', 'noframes', 'object'],
    transformTags: {
      '*': (tagName, attribs) => ({ tagName, attribs: clean(attribs) }),
      a: (_t, attribs) => ({ tagName: 'pw-link', attribs: { 'data-href': defangedOrRaw(attribs.href) } }),
      area: (_t, attribs) => ({ tagName: 'pw-link', attribs: { 'data-href': defangedOrRaw(attribs.href) } }),
      img: (_t, attribs) => ({ tagName: 'pw-img', attribs: { 'data-src': defangedOrRaw(attribs.src), 'data-alt': (attribs.alt ?? '').slice(0, 200) } }),
    },
  });
  // Rewrite the markers into inert text. sanitize-html's output is well formed and its
  // attribute values are already escaped, so a simple stack is exact here.
  const stack: string[] = [];
  return out
    .replace(/<pw-img data-src="([^"]*)" data-alt="([^"]*)"><\/pw-img>|<pw-img[^>]*>(?:<\/pw-img>)?/g, (_m, src?: string, alt?: string) =>
      `<span class="pw-img">[image${alt ? `: ${alt}` : ''}${src ? ` — ${src}` : ''}]</span>`)
    .replace(/<pw-link(?: data-href="([^"]*)")?>|<\/pw-link>/g, (m, href?: string) => {
      if (m.startsWith('</')) {
        const h = stack.pop();
        return h ? `</span> <span class="pw-href">[${h}]</span>` : '</span>';
      }
      stack.push(href ?? '');
      return '<span class="pw-link">';
    });
}

/** The complete framed document: sanitised body plus the frame's own inline styles. */
export function safeFrameDocument(html: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sanitised HTML of the reported message</title>
<style>
body{font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.4;color:#212b32;background:#fff;margin:12px;overflow-wrap:anywhere}
.pw-link{text-decoration:underline dotted}
.pw-href,.pw-img{font-family:monospace;font-size:13px;color:#8a1538;background:#fff3f3;border:1px solid #e8b4b4;padding:0 2px}
</style></head><body>
${sanitiseSampleHtml(html)}
</body></html>`;
}

/** The framed document for a sample with no HTML part. */
export function emptyFrameDocument(message: string): string {
  return safeFrameDocument(`<p>${escapeHtml(message)}</p>`);
}
