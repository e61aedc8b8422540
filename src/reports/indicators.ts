import { createHash } from 'node:crypto';
import { simpleParser, type AddressObject } from 'mailparser';
import { decodeWords, fieldValue, fieldValues, type HeaderField, parseHead } from '../platform/mail/mime/index.js';
import { type AlignmentFacts, senderAuthenticated } from '../gateway/gateway.js';
import { collectHtmlUrls, registrableDomain, UrlCollector, type FoundUrl } from './urls.js';
import { normaliseSubject } from './reports.js';

/**
 * Indicators of one reported message. Attachments are hashed and measured, never opened,
 * run or rendered; nothing is fetched.
 */

export interface Mailbox {
  address: string;
  name: string;
  domain: string;
  /** Registrable domain of the address (tldts). */
  registrableDomain: string;
}

export interface ReceivedHop {
  from: string | null;
  by: string | null;
  with: string | null;
  ips: string[];
  date: string | null;
}

export interface AuthResult {
  authservId: string;
  results: { method: string; result: string; props: Record<string, string> }[];
}

export interface AttachmentInfo {
  filename: string | null;
  contentType: string;
  size: number;
  sha256: string;
}

export interface Indicators {
  subject: string;
  subjectNorm: string;
  from: Mailbox | null;
  /** True when `from` was read from the text of an inline forward (unauthenticated). */
  fromForwardedText: boolean;
  replyTo: Mailbox[];
  returnPath: string | null;
  to: string[];
  messageId: string | null;
  date: string | null;
  received: ReceivedHop[];
  authenticationResults: AuthResult[];
  urls: FoundUrl[];
  /** Registrable domains of every link, de-duplicated. */
  urlDomains: string[];
  attachments: AttachmentInfo[];
}

/** What the analyst's view needs besides indicators (computed on demand, never stored). */
export interface ParsedSample {
  indicators: Indicators;
  headers: HeaderField[];
  text: string | null;
  html: string | null;
  /** Why extraction was partial (the sample is kept regardless). */
  problem: string | null;
}

const MAX_TEXT = 1_000_000;

export function mailbox(address: string, name = ''): Mailbox | null {
  const a = address.trim().toLowerCase();
  const at = a.lastIndexOf('@');
  if (at <= 0 || at === a.length - 1) return null;
  const domain = a.slice(at + 1).replace(/\.$/, '');
  return { address: a, name: name.trim(), domain, registrableDomain: registrableDomain(domain) };
}

function mailboxes(obj: AddressObject | AddressObject[] | undefined): Mailbox[] {
  const out: Mailbox[] = [];
  for (const o of [obj ?? []].flat()) {
    for (const v of o.value) {
      if (v.address) { const m = mailbox(v.address, v.name); if (m) out.push(m); }
      for (const g of v.group ?? []) if (g.address) { const m = mailbox(g.address, g.name); if (m) out.push(m); }
    }
  }
  return out;
}

export function parseReceived(value: string): ReceivedHop {
  const semi = value.lastIndexOf(';');
  const clause = semi >= 0 ? value.slice(0, semi) : value;
  const word = (k: string): string | null => new RegExp(`(?:^|\\s)${k}\\s+([^\\s;()]+)`, 'i').exec(clause)?.[1] ?? null;
  const ips = [...new Set([...clause.matchAll(/\[(?:ipv6:)?([0-9a-f:.]{3,45})\]|\b(\d{1,3}(?:\.\d{1,3}){3})\b/gi)].map((m) => (m[1] ?? m[2])!.toLowerCase()))];
  return { from: word('from'), by: word('by'), with: word('with'), ips, date: semi >= 0 ? value.slice(semi + 1).trim() || null : null };
}

export function parseAuthResults(value: string): AuthResult {
  const semi = value.indexOf(';');
  const authservId = (semi >= 0 ? value.slice(0, semi) : value).trim().split(/\s+/)[0]!.toLowerCase();
  const results: AuthResult['results'] = [];
  const body = semi >= 0 ? value.slice(semi + 1) : '';
  for (const clause of body.replace(/\([^)]*\)/g, ' ').split(';')) {
    const m = /^\s*([a-z0-9-]+)\s*=\s*([a-z]+)/i.exec(clause);
    if (!m) continue;
    const props: Record<string, string> = {};
    for (const p of clause.slice(m[0].length).matchAll(/([a-z]+\.[a-z0-9-]+)\s*=\s*("[^"]*"|[^\s;]+)/gi)) props[p[1]!.toLowerCase()] = p[2]!.replace(/^"|"$/g, '');
    results.push({ method: m[1]!.toLowerCase(), result: m[2]!.toLowerCase(), props });
  }
  return { authservId, results };
}

/** From / Subject / Date lines of an inline forward ("---------- Forwarded message ---------"). */
export function forwardedHeaders(text: string): { from: Mailbox | null; subject: string | null; date: string | null } {
  const block = /(?:^|\n)\s*(?:-{2,}\s*(?:forwarded|original) message\s*-{2,}|begin forwarded message:|_{10,})([\s\S]{0,2000})/i.exec(text)?.[1] ?? text.slice(0, 3000);
  const line = (k: string): string | null => new RegExp(`(?:^|\\n)\\s*\\*?(?:${k})\\s*:\\*?\\s*([^\\n]+)`, 'i').exec(block)?.[1]?.trim() ?? null;
  const fromLine = line('from|von|de');
  const addr = fromLine ? (/<?([^\s<>"]+@[^\s<>"]+?)>?\s*$/.exec(fromLine.replace(/\[mailto:[^\]]*\]/i, ''))?.[1] ?? null) : null;
  const from = addr ? mailbox(addr, fromLine!.replace(/<[^>]*>|\[mailto:[^\]]*\]/gi, '').replace(/"/g, '').trim()) : null;
  return { from, subject: line('subject|betreff|objet'), date: line('sent|date|gesendet|envoyé') };
}

/**
 * Parses a sample and extracts its indicators. Never throws: a message the parser cannot
 * read still yields the header-level indicators and a `problem`.
 */
export async function parseSample(bytes: Buffer, opts: { headersLost?: boolean } = {}): Promise<ParsedSample> {
  const head = parseHead(bytes);
  const headers = head.fields.filter((f) => f.name !== '');
  const urls = new UrlCollector();
  let text: string | null = null;
  let html: string | null = null;
  let problem: string | null = null;
  let from: Mailbox | null = null;
  let replyTo: Mailbox[] = [];
  let to: string[] = [];
  const attachments: AttachmentInfo[] = [];
  try {
    const parsed = await simpleParser(bytes, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true, keepCidLinks: true, maxHtmlLengthToParse: 4_000_000 });
    from = mailboxes(parsed.from)[0] ?? null;
    replyTo = mailboxes(parsed.replyTo);
    to = [...mailboxes(parsed.to), ...mailboxes(parsed.cc)].map((m) => m.address).slice(0, 100);
    text = typeof parsed.text === 'string' ? parsed.text.slice(0, MAX_TEXT) : null;
    html = typeof parsed.html === 'string' ? parsed.html : null;
    for (const a of parsed.attachments) {
      attachments.push({ filename: a.filename ?? null, contentType: a.contentType, size: a.content.length, sha256: createHash('sha256').update(a.content).digest('hex') });
    }
  } catch (err) {
    problem = `The message could not be fully parsed (${(err as Error).name}); header indicators only.`;
    const f = fieldValue(head, 'from');
    const m = f ? /<?([^\s<>"]+@[^\s<>"]+?)>?\s*$/.exec(f) : null;
    from = m ? mailbox(m[1]!) : null;
  }
  if (text) urls.addText(text);
  if (html) collectHtmlUrls(html, urls);
  let subject = decodeWords(fieldValue(head, 'subject') ?? '');
  let date = fieldValue(head, 'date');
  let fromForwardedText = false;
  if (opts.headersLost) {
    const fwd = forwardedHeaders(text ?? '');
    if (fwd.from) { from = fwd.from; fromForwardedText = true; }
    subject = fwd.subject ?? subject.replace(/^\s*(fwd?|fw)\s*:\s*/i, '');
    date = fwd.date ?? date;
  }
  const urlList = urls.list();
  const indicators: Indicators = {
    subject,
    subjectNorm: normaliseSubject(subject),
    from,
    fromForwardedText,
    replyTo,
    returnPath: fieldValue(head, 'return-path')?.replace(/^<|>$/g, '') ?? null,
    to,
    messageId: fieldValue(head, 'message-id'),
    date,
    received: fieldValues(head, 'received').slice(0, 50).map(parseReceived),
    authenticationResults: fieldValues(head, 'authentication-results').slice(0, 20).map(parseAuthResults),
    urls: urlList,
    urlDomains: [...new Set(urlList.map((u) => u.domain))],
    attachments,
  };
  return { indicators, headers, text, html, problem };
}

/**
 * What the platform's own Authentication-Results fields (`authservId`; the gateway removes
 * inbound ones claiming it) say about the sample's visible sender, as the facts of the
 * gateway's one rule (`senderAuthenticated`). Null when the sample has no From we can trust
 * (none, or read from the text of an inline forward) or no field of ours.
 */
export function sampleAuthFacts(ind: Indicators, authservId: string): AlignmentFacts | null {
  const from = ind.from;
  if (!from || ind.fromForwardedText) return null;
  const ours = ind.authenticationResults.filter((ar) => ar.authservId === authservId);
  if (!ours.length) return null;
  const fromDomain = from.domain.toLowerCase();
  const domainOf = (v: string | undefined): string | null => (v ? v.replace(/^.*@/, '').toLowerCase() || null : null);
  const passes = ours.flatMap((ar) => ar.results).filter((r) => r.result === 'pass');
  // A DMARC pass is about this From unless it names another header.from domain.
  const dmarcPass = passes.some((r) => r.method === 'dmarc' && (!r.props['header.from'] || domainOf(r.props['header.from']) === fromDomain));
  const dkimPassDomains = passes.filter((r) => r.method === 'dkim').map((r) => domainOf(r.props['header.d'] ?? r.props['header.i'])).filter((d): d is string => !!d);
  const spfDomains = passes.filter((r) => r.method === 'spf').map((r) => domainOf(r.props['smtp.mailfrom']));
  return {
    fromDomain, dmarcPass, dkimPassDomains,
    spfPass: spfDomains.length > 0,
    mailFromDomain: spfDomains.find((d) => d === fromDomain) ?? spfDomains[0] ?? null,
  };
}

/**
 * The sample's sender address when the platform authenticated it (the gateway's one rule,
 * `senderAuthenticated`, asked with what our Authentication-Results say), else null.
 */
export function authenticatedSampleSender(ind: Indicators, authservId: string): string | null {
  const facts = sampleAuthFacts(ind, authservId);
  return facts && senderAuthenticated(facts) ? ind.from!.address : null;
}

/**
 * Whether the sample was sent by one of the platform's own: its sender is authenticated
 * (`authenticatedSampleSender`) and its domain is one of `platformDomains` (organisation or
 * platform domains) or below one.
 */
export function internalOrigin(ind: Indicators, authservId: string, platformDomains: ReadonlySet<string>): string | null {
  const address = authenticatedSampleSender(ind, authservId);
  if (!address) return null;
  const domain = ind.from!.domain.toLowerCase();
  return [...platformDomains].some((d) => domain === d || domain.endsWith('.' + d)) ? address : null;
}
