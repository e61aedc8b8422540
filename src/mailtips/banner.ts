/**
 * The words and markup of the safety banner (pure). Everything produced here is ASCII, so it
 * can be written into a part of any ASCII-compatible charset without re-encoding it: non-ASCII
 * characters of the service name become character references in HTML and are folded to ASCII
 * in plain text.
 */
import { tipHeaderValue, type TipDecision } from './mailtips.js';

/** The marker our banners carry; stripImitations removes inbound banners that carry it. */
export const MARKER = 'postwarden-safety-tip';
/** First and last lines of the plain-text banner. */
export const TEXT_BEGIN = `(${MARKER})`;
export const TEXT_END = `(/${MARKER})`;
/** Comments around the HTML banner. */
export const HTML_BEGIN = `<!--${MARKER}-->`;
export const HTML_END = `<!--/${MARKER}-->`;

export interface BannerOptions {
  serviceName: string;
  noReplyAddress?: string;
}

/** The heading and the explained rules that apply, as plain sentences (no markup). */
export function bannerSentences(d: TipDecision, service: string, noReply: string): { heading: string; items: Array<[string, string]>; advice: string } {
  const items: Array<[string, string]> = [];
  if (d.firstContact) items.push(['First contact:', 'this is the first email you have received from this sender address.']);
  if (d.lowVolume) {
    const days = `${d.windowDays} day${d.windowDays === 1 ? '' : 's'}`;
    const sent = d.senderCount === 0 ? 'has not sent any other email' : `has sent only ${d.senderCount} email${d.senderCount === 1 ? '' : 's'}`;
    items.push(['Rarely seen sender:', `this sender ${sent} to ${service} in the last ${days} (we show this tip when a sender has sent fewer than ${d.threshold}).`]);
  }
  if (d.accountLinkWarning) {
    items.push([
      'Account link:',
      `this email asks you to verify or re-validate an account through a link. ${service} only sends account links in the password-expiry reminder from ${noReply} to your own address. Do not follow the link or enter your password.`,
    ]);
  }
  return {
    heading: `Safety tip from ${service}`,
    items,
    advice: 'If you were not expecting this email, check with the sender in another way before you open links or attachments or send personal or payment details.',
  };
}

/** ASCII folding for plain text: accents dropped, other characters replaced. */
export function asciiFold(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]/g, '?')
    // '+' '~' '\' change meaning in UTF-7 / Shift_JIS: keep them out of the banner.
    .replace(/[+~\\]/g, '-');
}

/** Escapes for HTML text and attributes; non-ASCII as numeric references. */
export function htmlEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (ch === '"') out += '&quot;';
    else if (ch === "'") out += '&#39;';
    else if (c < 0x20 || c > 0x7e || ch === '+' || ch === '~' || ch === '\\') out += `&#${c};`;
    else out += ch;
  }
  return out;
}

function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** The plain-text banner, lines ending in `eol`, followed by one blank line. */
export function textBanner(d: TipDecision, opts: BannerOptions, eol: string): string {
  const service = asciiFold(opts.serviceName);
  const noReply = asciiFold(opts.noReplyAddress ?? 'the no-reply address');
  const s = bannerSentences(d, service, noReply);
  const lines = [`*** ${s.heading} ${TEXT_BEGIN} ***`];
  for (const [label, sentence] of s.items) lines.push(...wrap(`- ${label} ${sentence}`, 76, '  '));
  lines.push(...wrap(s.advice, 76, ''));
  lines.push(`*** End of safety tip ${TEXT_END} ***`);
  return lines.join(eol) + eol + eol;
}

const BOX =
  'display:block!important;visibility:visible!important;opacity:1!important;position:relative!important;z-index:2147483647!important;' +
  'transform:none!important;clip:auto!important;max-height:none!important;overflow:visible!important;height:auto!important;' +
  'margin:0 0 16px 0!important;padding:12px 16px!important;border:2px solid #ffb81c!important;border-left:10px solid #ffb81c!important;' +
  'background:#fff9e5!important;color:#212b32!important;font-family:Arial,Helvetica,sans-serif!important;font-size:16px!important;line-height:1.5!important;text-align:left!important';
const TEXT = 'display:block!important;visibility:visible!important;color:#212b32!important;font-size:16px!important;margin:0 0 8px 0!important';
const LIST = 'display:block!important;visibility:visible!important;color:#212b32!important;margin:0 0 8px 0!important;padding:0 0 0 24px!important';
const ITEM = 'display:list-item!important;visibility:visible!important;color:#212b32!important;font-size:16px!important;margin:0 0 4px 0!important';

/** The HTML banner: a note landmark with a strong heading, lines ending in `eol`. */
export function htmlBanner(d: TipDecision, opts: BannerOptions, eol: string): string {
  const s = bannerSentences(d, htmlEscape(opts.serviceName), htmlEscape(opts.noReplyAddress ?? 'the no-reply address'));
  const lines = [
    `${HTML_BEGIN}<div data-${MARKER}="1" role="note" aria-label="${s.heading}" style="${BOX}">`,
    `<p style="${TEXT}"><strong>${s.heading}</strong></p>`,
    `<ul style="${LIST}">`,
    ...s.items.map(([label, sentence]) => `<li style="${ITEM}"><strong>${label}</strong> ${sentence}</li>`),
    '</ul>',
    `<p style="${TEXT};margin:0!important">${s.advice}</p>`,
    `</div>${HTML_END}`,
  ];
  return lines.join(eol) + eol;
}

const memo = new Map<string, string>();

/** textBanner or htmlBanner, memoised: the same few decisions recur for every message. */
export function bannerFor(kind: 'text' | 'html', d: TipDecision, opts: BannerOptions, eol: string): string {
  const key = `${kind}|${tipHeaderValue(d)}|${opts.serviceName}|${opts.noReplyAddress ?? ''}|${eol}`;
  let b = memo.get(key);
  if (b === undefined) {
    b = kind === 'text' ? textBanner(d, opts, eol) : htmlBanner(d, opts, eol);
    if (memo.size >= 512) memo.clear();
    memo.set(key, b);
  }
  return b;
}
