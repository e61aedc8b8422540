/**
 * "Verify your account through this link" lures (pure). The bulletin tells users that the only
 * legitimate account-link email is the password-expiry reminder from the platform's no-reply
 * address; any other message that asks them to verify or re-validate an account through a
 * link earns a warning tip. The gateway runs scanAccountLinkLure on mail whose From is not the
 * no-reply address (mail that is, is genuine or quarantined) and sets
 * `decision.accountLinkWarning` before stamping.
 */
import { decodeBody, decodeCharset, findBodyParts, MIME_DISPLAY, parseMime } from '../platform/mail/mime/index.js';

/** Read at most this much decoded text per part: lures are near the top. */
const MAX_CHARS = 200_000;

const NAMED: Record<string, string> = { nbsp: ' ', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", shy: '', zwnj: '', zwj: '' };

// Tags (comments included) and character references. `[^<>]` keeps it linear on hostile input.
const HTML_NOISE_RE = /<[^<>]*>|&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|(nbsp|amp|lt|gt|quot|apos|shy|zwnj|zwj));?/gi;

/** Text of HTML with tags removed and character references decoded, in one linear pass. */
export function htmlToText(html: string): string {
  return html.replace(HTML_NOISE_RE, (m: string, dec: string | undefined, hex: string | undefined, name: string | undefined) => {
    if (m.charCodeAt(0) === 60) return ' ';
    if (name) return NAMED[name.toLowerCase()] ?? ' ';
    const cp = dec ? Number(dec) : parseInt(hex!, 16);
    return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : ' ';
  });
}

const LINK_TEXT_RE = /\bhttps?:\/\/|\bwww\.[a-z0-9-]/i;
const LINK_HTML_RE = /<a\s[^<>]*\bhref\s*=|<form\b/i;
// An action on an account (or the credentials that open it) …
const VERB = String.raw`(?:re-?\s?)?(?:verify|verification|validate|validation|confirm|confirmation|activate|activation|authenticate|unlock|restore|reinstate|upgrade|update|reset|secure|unsuspend)`;
const OBJECT = String.raw`(?:e-?mail\s+)?(?:account|mailbox|inbox|password|credentials?|log-?\s?in(?:\s+details)?|sign-?\s?in(?:\s+details)?|identity|e-?mail\s+address)`;
const VERB_OBJECT_RE = new RegExp(String.raw`\b${VERB}\b[^.!?\n]{0,40}?\b(?:your|the|this)\s+${OBJECT}\b`, 'i');
const OBJECT_VERB_RE = new RegExp(String.raw`\b(?:your|the|this)\s+${OBJECT}\b[^.!?\n]{0,60}?\b(?:must|needs?\s+to|has\s+to|will)\s+be\s+${VERB}`, 'i');
// … or a threat that only a click averts.
const THREAT_RE = /\b(?:your|the)\s+(?:e-?mail\s+)?(?:account|mailbox|password)\b[^.!?\n]{0,60}?\b(?:(?:will\s+be|has\s+been|is\s+being|is|are)\s+(?:suspended|deactivated|disabled|terminated|closed|deleted|locked|blocked|expired)|will\s+expire|expires|is\s+expiring|has\s+expired)\b/i;
const CLICK_RE = /\b(?:click|tap|follow|visit|use|open)\b[^.!?\n]{0,30}\b(?:link|here|below|button)\b|\bclick\b/i;

/**
 * True when the content asks the reader to verify or re-validate an account (or its password
 * or sign-in) through a link. Needs both a link and the request; pure, no I/O.
 */
export function detectAccountLinkLure(content: { text?: string; html?: string }): boolean {
  const html = content.html?.slice(0, MAX_CHARS) ?? '';
  const text = content.text?.slice(0, MAX_CHARS) ?? '';
  const hasLink = LINK_TEXT_RE.test(text) || LINK_HTML_RE.test(html) || LINK_TEXT_RE.test(html);
  if (!hasLink) return false;
  const visible = (text + '\n' + (html ? htmlToText(html) : '')).replace(/[\u00a0\u200b-\u200d\u2060\ufeff]/g, (c) => (c === '\u00a0' ? ' ' : '')).replace(/[ \t]+/g, ' ');
  if (VERB_OBJECT_RE.test(visible) || OBJECT_VERB_RE.test(visible)) return true;
  return THREAT_RE.test(visible) && CLICK_RE.test(visible);
}

/**
 * Decodes the first text/plain and text/html body parts of a raw message (transfer encoding and
 * charset; never inside forwarded messages or attachments) and runs detectAccountLinkLure.
 * Never throws: malformed MIME reads as what can be decoded.
 */
export function scanAccountLinkLure(raw: Buffer): boolean {
  const { text, html } = findBodyParts(parseMime(raw, MIME_DISPLAY));
  const read = (p: typeof text): string | undefined => {
    if (!p) return undefined;
    const bytes = decodeBody(p);
    return decodeCharset(bytes.subarray(0, Math.min(bytes.length, MAX_CHARS * 2)), p.charset);
  };
  return detectAccountLinkLure({ text: read(text), html: read(html) });
}
