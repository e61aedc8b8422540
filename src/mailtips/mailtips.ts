/**
 * Safety MailTips: types and pure rules (no database, clock or network).
 * The service (mailtips.service.ts) supplies the history; stamp.ts writes the tips.
 */

/** What the sender history says about one (recipient, sender) pair. */
export interface TipDecision {
  /** The recipient has never received mail from this sender address. */
  firstContact: boolean;
  /** The sender sent fewer than `threshold` messages to the platform in the last `windowDays`. */
  lowVolume: boolean;
  /** Messages from this sender to the platform in the window (before this one). */
  senderCount: number;
  threshold: number;
  windowDays: number;
  /**
   * The message asks the recipient to verify or re-validate an account through a link and is
   * not genuine platform mail. `decide()` always returns false here: the gateway sets it from
   * `scanAccountLinkLure(raw)` (lure.ts) for mail whose From is not the platform's no-reply
   * address, before calling `stampTips`.
   */
  accountLinkWarning: boolean;
  /** Why no history tip applies, when the sender is exempt; null otherwise. */
  exempt: 'internal' | 'system' | null;
}

/** What the gateway knows about the sender when it asks for a decision. */
export interface DecideOptions {
  /**
   * The gateway's sender verdict for this message (gateway.ts `senderVerdict`, computed
   * once in its authenticate stage): mailtips does not judge authentication itself.
   * Exemptions for internal senders and platform mail apply only when it is true, so a
   * forged internal sender still gets its tips. Default false.
   */
  authenticated?: boolean;
}

/** Settings of the history rules, from the configuration. */
export interface TipRules {
  threshold: number;
  windowDays: number;
  retentionDays: number;
  exemptInternal: boolean;
  exemptSystem: boolean;
  platformDomain: string;
}

/** True when the decision calls for any tip (header and banner). */
export function needsTip(d: TipDecision): boolean {
  return d.firstContact || d.lowVolume || d.accountLinkWarning;
}

/**
 * A string equal for two decisions exactly when their stamped tips are identical: the gateway
 * groups recipients by it and stamps one copy per group.
 */
export function tipKey(d: TipDecision): string {
  return needsTip(d) ? tipHeaderValue(d) : '';
}

/** The machine-readable value of `X-Postwarden-Safety-Tip`, e.g. `first-contact; low-volume count=2 threshold=5 window=90d`. */
export function tipHeaderValue(d: TipDecision): string {
  const parts: string[] = [];
  if (d.firstContact) parts.push('first-contact');
  if (d.lowVolume) parts.push(`low-volume count=${d.senderCount} threshold=${d.threshold} window=${d.windowDays}d`);
  if (d.accountLinkWarning) parts.push('account-link');
  return parts.join('; ');
}

/**
 * Normalises an address for the history: trimmed, angle brackets removed, lower-cased.
 * The same function is used for recording and deciding, so the keys always agree.
 */
export function normaliseAddress(address: string): string {
  let a = address.trim();
  if (a.startsWith('<') && a.endsWith('>')) a = a.slice(1, -1).trim();
  return a.toLowerCase();
}

/** The domain part of a normalised address ('' when there is none). */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1);
}

/**
 * Which exemption applies to a sender, or null. Only a sender the gateway's verdict says is
 * authenticated can be exempt:
 * platform system mail (the platform's domain or a subdomain) and internal senders (a domain
 * of a member organisation).
 */
export function exemptionFor(sender: string, authenticated: boolean, rules: TipRules, internalDomains: ReadonlySet<string>): 'internal' | 'system' | null {
  if (!authenticated) return null;
  const domain = domainOf(sender);
  if (!domain) return null;
  const platform = rules.platformDomain.toLowerCase();
  if (rules.exemptSystem && (domain === platform || domain.endsWith('.' + platform))) return 'system';
  if (rules.exemptInternal && internalDomains.has(domain)) return 'internal';
  return null;
}

/** Whole days since 1970-01-01 (UTC) of an instant: the unit of the volume counts. */
export function dayNumber(now: Date): number {
  return Math.floor(now.getTime() / 86_400_000);
}

/** A day number as `YYYY-MM-DD`. */
export function dayString(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

/** The decision for a sender with the given history figures (pure). */
export function decideFrom(known: boolean, senderCount: number, rules: TipRules, exempt: 'internal' | 'system' | null): TipDecision {
  if (exempt) return { firstContact: false, lowVolume: false, senderCount, threshold: rules.threshold, windowDays: rules.windowDays, accountLinkWarning: false, exempt };
  return {
    firstContact: !known,
    lowVolume: senderCount < rules.threshold,
    senderCount,
    threshold: rules.threshold,
    windowDays: rules.windowDays,
    accountLinkWarning: false,
    exempt: null,
  };
}
