/**
 * Phishing reports: types and pure rules (verdicts, campaign keys, block rules).
 * No I/O here.
 */

export const VERDICTS = ['phishing', 'spam', 'legitimate'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** Most reports one bulk action (assign, release, verdict) may change. */
export const MAX_BULK = 200;

export const SAMPLE_STATUSES = ['new', 'assigned', 'closed'] as const;
export type SampleStatus = (typeof SAMPLE_STATUSES)[number];

export const BLOCK_KINDS = ['sender-address', 'sender-domain', 'url-domain'] as const;
export type BlockKind = (typeof BLOCK_KINDS)[number];

export const BLOCK_KIND_LABELS: Record<BlockKind, string> = {
  'sender-address': 'Sender address',
  'sender-domain': 'Sender domain',
  'url-domain': 'Link domain',
};

export const VERDICT_LABELS: Record<Verdict, string> = { phishing: 'Phishing', spam: 'Spam', legitimate: 'Legitimate' };

export function isVerdict(v: string): v is Verdict {
  return (VERDICTS as readonly string[]).includes(v);
}

export function isBlockKind(v: string): v is BlockKind {
  return (BLOCK_KINDS as readonly string[]).includes(v);
}

/** The configured wording of the verdict email for a verdict. */
export function verdictWording(config: { reportVerdictPhishingText: string; reportVerdictSpamText: string; reportVerdictLegitimateText: string }, v: Verdict): string {
  return v === 'phishing' ? config.reportVerdictPhishingText : v === 'spam' ? config.reportVerdictSpamText : config.reportVerdictLegitimateText;
}

/**
 * A subject reduced to what a campaign shares: reply/forward prefixes and bracketed tags
 * removed, digits folded (invoice numbers vary), case and spaces folded.
 */
export function normaliseSubject(subject: string): string {
  let s = subject.normalize('NFKC').toLowerCase();
  for (;;) {
    const next = s.replace(/^\s*((re|fw|fwd|aw|wg|tr|sv|vs|rv|antw)\s*(\[\d+\])?\s*:|\[[^\]]{0,30}\]|\([^)]{0,15}\))\s*/u, '');
    if (next === s) break;
    s = next;
  }
  return s.replace(/\d+/g, '#').replace(/[^\p{L}\p{N}#]+/gu, ' ').trim();
}

export interface CampaignKey {
  kind: 'url-domain' | 'subject' | 'sender-domain';
  value: string;
}

const MIN_SUBJECT_KEY = 8;
const MAX_URL_KEYS = 5;

/**
 * The keys a sample shares with others of its campaign: its link domains, its normalised
 * subject and its sender's domain, leaving out domains that everybody uses (configured)
 * and the platform's own domains, which would lump unrelated mail together.
 */
export function campaignKeys(s: { subjectNorm: string; senderDomain: string | null; urlDomains: readonly string[] }, ignore: ReadonlySet<string>): CampaignKey[] {
  const keys: CampaignKey[] = [];
  for (const d of [...new Set(s.urlDomains)].filter((d) => !ignore.has(d)).slice(0, MAX_URL_KEYS)) keys.push({ kind: 'url-domain', value: d });
  if (s.subjectNorm.length >= MIN_SUBJECT_KEY) keys.push({ kind: 'subject', value: s.subjectNorm.slice(0, 200) });
  if (s.senderDomain && !ignore.has(s.senderDomain)) keys.push({ kind: 'sender-domain', value: s.senderDomain });
  return keys;
}

/** The label of a new campaign: its most telling key. */
export function campaignLabel(keys: readonly CampaignKey[], subject: string): string {
  const url = keys.find((k) => k.kind === 'url-domain');
  const sender = keys.find((k) => k.kind === 'sender-domain');
  const parts = [url ? `links to ${url.value}` : null, sender ? `from ${sender.value}` : null, subject ? `“${subject.slice(0, 60)}”` : null].filter(Boolean);
  return parts.join(', ') || 'Unlabelled';
}

/** Parses a comma-separated domain list into a lower-case set. */
export function domainSet(list: string): Set<string> {
  return new Set(list.split(',').map((d) => d.trim().toLowerCase()).filter(Boolean));
}

const DOMAIN = /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/;
const ADDRESS = /^[^\s@<>"]{1,64}@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/;

/**
 * The canonical value of a block rule, or a reason it cannot be one.
 * Domains may not be the platform's or an organisation's own (that would quarantine the
 * platform's own mail); use a sender-address rule for one internal account.
 */
export function checkBlockValue(kind: BlockKind, raw: string, protectedDomains: ReadonlySet<string>): { value: string } | { problem: string } {
  const value = raw.trim().toLowerCase().replace(/^<|>$/g, '').replace(/\.$/, '');
  if (kind === 'sender-address') {
    if (!ADDRESS.test(value)) return { problem: 'Enter a full email address, like name@example.com.' };
    return { value };
  }
  if (!DOMAIN.test(value)) return { problem: 'Enter a domain name, like example.com.' };
  for (const d of protectedDomains) {
    if (value === d || d.endsWith('.' + value)) return { problem: `${value} is one of the platform's own domains; block a sender address instead.` };
  }
  return { value };
}

/** When a block rule made now for `days` (0 = until lifted) expires. */
export function blockExpiry(now: Date, days: number): string | null {
  return days > 0 ? new Date(now.getTime() + days * 86_400_000).toISOString() : null;
}

/** Age filter of the queue, as an ISO lower or upper bound on when a sample was first reported. */
export function ageBounds(age: string | undefined, now: Date): { after?: string; before?: string } {
  const h = 3_600_000;
  switch (age) {
    case '1h': return { after: new Date(now.getTime() - h).toISOString() };
    case '24h': return { after: new Date(now.getTime() - 24 * h).toISOString() };
    case '7d': return { after: new Date(now.getTime() - 7 * 24 * h).toISOString() };
    case 'older-24h': return { before: new Date(now.getTime() - 24 * h).toISOString() };
    case 'older-7d': return { before: new Date(now.getTime() - 7 * 24 * h).toISOString() };
    default: return {};
  }
}

export const AGE_FILTERS = [
  { value: '', text: 'Any age' },
  { value: '1h', text: 'Last hour' },
  { value: '24h', text: 'Last 24 hours' },
  { value: '7d', text: 'Last 7 days' },
  { value: 'older-24h', text: 'Older than 24 hours' },
  { value: 'older-7d', text: 'Older than 7 days' },
] as const;

/** What a phishing sample's page offers to block: its sender, sender domain and link domains. */
export function blockSuggestions(ind: { from: { address: string; registrableDomain: string } | null; urlDomains: readonly string[] }, ignore: ReadonlySet<string>): { kind: BlockKind; value: string; common: boolean }[] {
  const out: { kind: BlockKind; value: string; common: boolean }[] = [];
  if (ind.from) {
    out.push({ kind: 'sender-address', value: ind.from.address, common: false });
    out.push({ kind: 'sender-domain', value: ind.from.registrableDomain, common: ignore.has(ind.from.registrableDomain) });
  }
  for (const d of ind.urlDomains.slice(0, 20)) out.push({ kind: 'url-domain', value: d, common: ignore.has(d) });
  return out;
}
