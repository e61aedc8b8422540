import { createHash, createHmac } from 'node:crypto';
import { OVERSIGNED_FIELDS } from '../platform/notify/dkim.js';
import type { Reply } from '../platform/smtp/server.js';
import type { GatewayQuarantineTable } from './gateway.tables.js';

/**
 * Pure rules of the SMTP gateway: what a recipient's copy became, how per-recipient
 * outcomes become one SMTP reply, which `no-reply@` mail is genuine, whether a sender is
 * authenticated.
 * No I/O, no clock.
 */

/** What happened to one recipient's copy of a message. */
export type Disposition =
  | { kind: 'delivered' }
  /** Served by an earlier attempt of the same message (redelivery ledger or store key). */
  | { kind: 'already' }
  | { kind: 'quarantined'; id: string }
  | { kind: 'report'; reportId: string }
  | { kind: 'tempfail'; text: string }
  | { kind: 'permfail'; text: string };

/** What the quarantine knows of a held message, as it is stored and as it is shown. */
export interface HeldMessage {
  id: string;
  receivedAt: string;
  reason: GatewayQuarantineTable['reason'];
  ruleId: string | null;
  detail: string;
  mailFrom: string;
  headerFrom: string | null;
  recipients: readonly string[];
  subject: string | null;
  messageId: string | null;
  size: number;
  remoteAddress: string | null;
  smtpSessionId: string | null;
}

export interface RecipientResult {
  recipient: string;
  disposition: Disposition;
}

/** True when the recipient's copy is taken care of (the sender may forget it). */
export function isServed(d: Disposition): boolean {
  return d.kind === 'delivered' || d.kind === 'already' || d.kind === 'quarantined' || d.kind === 'report';
}

function replyOf(d: Disposition): Reply {
  if (isServed(d)) return { code: 250, text: '2.0.0 Ok: accepted' };
  if (d.kind === 'tempfail') return { code: 451, text: d.text };
  return { code: 550, text: (d as { text: string }).text };
}

export interface Collapsed {
  /** The single SMTP reply to DATA. */
  combined: Reply;
  /** One reply per recipient, in envelope order (LMTP). */
  perRecipient: Reply[];
  /** Recipients served although the combined reply is not 2xx: their retry must skip them. */
  servedButRefused: string[];
}

/**
 * SMTP answers DATA once per message. The choice (docs/GATEWAY.md, "Mixed outcomes"):
 * - every recipient served → 250;
 * - any recipient temporarily failed → 451 for the message; the recipients already served
 *   are remembered, and the sender's retry of the same message skips them (no copy twice);
 * - otherwise some recipient failed permanently → 550 naming what happened to each, the
 *   served ones remembered likewise (nothing accepted is lost, the sender learns of the failure).
 * LMTP gets the per-recipient replies as they are.
 */
export function collapse(results: readonly RecipientResult[]): Collapsed {
  const perRecipient = results.map((r) => replyOf(r.disposition));
  const served = results.filter((r) => isServed(r.disposition)).map((r) => r.recipient);
  if (served.length === results.length) return { combined: { code: 250, text: '2.0.0 Ok: accepted' }, perRecipient, servedButRefused: [] };
  const temp = results.find((r) => r.disposition.kind === 'tempfail');
  if (temp) return { combined: { code: 451, text: (temp.disposition as { text: string }).text }, perRecipient, servedButRefused: served };
  const perm = results.find((r) => r.disposition.kind === 'permfail')!;
  const text = served.length
    ? `5.0.0 Not delivered to ${results.filter((r) => !isServed(r.disposition)).map((r) => r.recipient).join(', ')} (${(perm.disposition as { text: string }).text}); accepted for ${served.join(', ')}`
    : (perm.disposition as { text: string }).text;
  return { combined: { code: 550, text: text.slice(0, 480) }, perRecipient, servedButRefused: served };
}

/**
 * A digest identifying a message across retries: the envelope sender, the Message-ID and
 * the body (the header may gain trace fields between attempts); the whole message when it
 * has no Message-ID.
 */
export function messageDigest(mailFrom: string, messageId: string | null, raw: Buffer, bodyStart: number): string {
  const h = createHash('sha256').update(mailFrom.toLowerCase()).update('\0');
  if (messageId) h.update(messageId).update('\0').update(raw.subarray(bodyStart));
  else h.update(raw);
  return h.digest('hex');
}

/** Keyed hash of (message, recipient): the redelivery ledger key and the Maildir file name. */
export function deliveryKey(hmacKey: Buffer, digest: string, recipient: string): string {
  return createHmac('sha256', hmacKey).update(digest).update('\0').update(recipient.toLowerCase()).digest('hex').slice(0, 40);
}

/** The authserv-id an Authentication-Results value claims (its first token). */
export function authservIdOf(value: string): string {
  return (/^\s*([^\s;(]+)/.exec(value)?.[1] ?? '').toLowerCase();
}

export interface DkimPass {
  domain: string;
  selector: string;
  /** The signature's `h=` list, lower case, in order (repeats kept). */
  signedFields: readonly string[];
}

export interface SystemMailFacts {
  /** Number of From fields in the header. */
  fromFields: number;
  fromAddresses: readonly string[];
  toAddresses: readonly string[];
  ccAddresses: readonly string[];
  /** How many times each header field name (lower case) occurs. */
  fieldCounts: ReadonlyMap<string, number>;
  /** DKIM signatures that verified. */
  dkimPasses: readonly DkimPass[];
}

/** The platform's system-mail sender. */
export function systemSender(platformDomain: string): string {
  return `no-reply@${platformDomain.toLowerCase()}`;
}

/**
 * True when a signature seals the header: its `h=` names each over-signed field more
 * times than the message has it, so no field of those names was added after signing.
 */
export function sealsHeader(pass: Pick<DkimPass, 'signedFields'>, fieldCounts: ReadonlyMap<string, number>): boolean {
  return OVERSIGNED_FIELDS.every((name) => pass.signedFields.filter((f) => f === name).length > (fieldCounts.get(name) ?? 0));
}

/**
 * The bulletin's rule: the only legitimate account email comes from no-reply@<platform
 * domain>, DKIM-signed with the platform's own key over a sealed header (nothing added
 * after signing), to the user's own address. For one recipient of mail that claims to be
 * the platform (`platformClaim`): null when genuine, else why not.
 */
export function systemMailProblem(facts: SystemMailFacts, recipient: string, platform: { domain: string; selector: string }): string | null {
  const domain = platform.domain.toLowerCase();
  if (facts.fromFields !== 1 || facts.fromAddresses.length !== 1) return 'more than one From address';
  if (facts.fromAddresses[0] !== systemSender(domain)) return 'its From is not the no-reply address';
  const ours = facts.dkimPasses.filter((p) => p.domain.toLowerCase() === domain && p.selector.toLowerCase() === platform.selector.toLowerCase());
  if (!ours.length) return "not signed with the platform's DKIM key";
  if (!ours.some((p) => sealsHeader(p, facts.fieldCounts))) return 'header fields were added after the platform signed it';
  const r = recipient.toLowerCase();
  if (facts.toAddresses.length !== 1 || facts.toAddresses[0] !== r || facts.ccAddresses.length > 0) {
    return "not addressed to the recipient's own address alone";
  }
  return null;
}

export interface AlignmentFacts {
  fromDomain: string | null;
  mailFromDomain: string | null;
  dmarcPass: boolean;
  dkimPassDomains: readonly string[];
  spfPass: boolean;
}

/**
 * The one rule of whether a sender is authenticated (DMARC-style alignment, strict): DMARC
 * passed, or a DKIM signature of the sender's domain verified, or SPF passed for an envelope
 * sender in that domain. An unauthenticated "internal" From is not internal. The gateway
 * asks it once per message (`senderVerdict`, in the authenticate stage) and carries the
 * verdict to the reports and tips stages (the spoof stage reads the same authentication
 * results: which DKIM signatures verified); a stored sample's Authentication-Results are
 * read into the same facts and asked here too (reports/indicators.ts).
 */
export function senderAuthenticated(f: AlignmentFacts): boolean {
  if (!f.fromDomain) return false;
  const d = f.fromDomain.toLowerCase();
  return f.dmarcPass || f.dkimPassDomains.some((x) => x.toLowerCase() === d) || (f.spfPass && f.mailFromDomain?.toLowerCase() === d);
}

/** Who sent a message, as every stage after authentication sees it: computed once per message. */
export interface SenderVerdict {
  /** The visible From (what the user sees), else the envelope sender; lower case (`tipSender`). */
  address: string;
  /** Whether that address's domain is authenticated (`senderAuthenticated`). */
  authenticated: boolean;
}

/** The sender verdict of a message from its From addresses, envelope sender and authentication results. */
export function senderVerdict(m: { fromAddresses: readonly string[]; mailFrom: string; dmarcPass: boolean; dkimPassDomains: readonly string[]; spfPass: boolean }): SenderVerdict {
  const address = tipSender(m.fromAddresses, m.mailFrom);
  return {
    address,
    authenticated: senderAuthenticated({
      fromDomain: domainOfAddress(address), mailFromDomain: domainOfAddress(m.mailFrom), dmarcPass: m.dmarcPass, dkimPassDomains: m.dkimPassDomains, spfPass: m.spfPass,
    }),
  };
}

/** The address tips are about: the visible From (what the user sees), else the envelope sender. */
export function tipSender(fromAddresses: readonly string[], mailFrom: string): string {
  return (fromAddresses[0] ?? mailFrom).toLowerCase();
}

/** The domain of an address, lower case, or null. */
export function domainOfAddress(address: string): string | null {
  const i = address.lastIndexOf('@');
  return i > 0 && i < address.length - 1 ? address.slice(i + 1).toLowerCase() : null;
}

/** A Received trace field for our hop (RFC 5321 §4.4). No recipient: one copy serves many. */
export function receivedField(o: { helo: string; remoteAddress: string; hostname: string; secure: boolean; protocol: 'smtp' | 'lmtp'; sessionId: string; now: Date }): string {
  const helo = o.helo.replace(/[^\x21-\x7e]/g, '').slice(0, 100) || 'unknown';
  const proto = o.protocol === 'lmtp' ? 'LMTP' : o.secure ? 'ESMTPS' : 'ESMTP';
  return `Received: from ${helo} ([${o.remoteAddress}])\r\n\tby ${o.hostname} (Postwarden) with ${proto} id ${o.sessionId};\r\n\t${o.now.toUTCString().replace('GMT', '+0000')}\r\n`;
}
