import { domainToASCII } from 'node:url';
import { decodeText, leaves, parseMime } from '../platform/mail/mime/index.js';
import { type RuleLifetime, ruleInForce } from './blocks.js';
import type { BlockKind } from './reports.js';
import { decodeHtmlEntities } from './urls.js';

/**
 * The in-memory block matcher each gateway process holds. Pure: built from the active
 * rules, asked about one message at a time. Sender checks are map lookups; the body is
 * scanned for links only when link-domain rules exist.
 */

/** A rule loaded in force; it may expire while held (the matcher asks `ruleInForce` each time). */
export interface ActiveRule extends RuleLifetime {
  id: string;
  kind: BlockKind;
  value: string;
}

export interface RuleHit {
  ruleId: string;
  kind: BlockKind;
  value: string;
}

/** Decoded text scanned for links, at most (a link past 2 MB of text is not looked for). */
const MAX_SCAN = 2 * 1024 * 1024;
const LINK_HOST = /\b(?:(?:https?|ftp):\/\/(?:[^\s/?#@"'<>]*@)?|www\.)([^\s/?#:"'<>\\)\]]+)/gi;

/** The bare, lower-case address in a From value (`Name <a@b>` or `a@b`), or null. */
export function bareAddress(value: string | null | undefined): string | null {
  if (!value) return null;
  const m = /<([^<>\s]+@[^<>\s]+)>/.exec(value) ?? /([^\s<>"(),;:]+@[^\s<>"(),;:]+)/.exec(value);
  return m ? m[1]!.toLowerCase().replace(/\.$/, '') : null;
}

/** The ASCII (punycode) form of a host name, lower case; '' when it is not one. */
export function asciiHost(host: string): string {
  const h = host.toLowerCase().replace(/\.$/, '');
  return /^[a-z0-9.-]+$/.test(h) ? h : domainToASCII(h);
}

function* selfAndParents(domain: string): Generator<string> {
  let d = domain;
  for (;;) {
    yield d;
    const i = d.indexOf('.');
    if (i < 0) return;
    d = d.slice(i + 1);
  }
}

/** Host names linked from the text and HTML parts of a message (decoded), de-duplicated. */
export function linkedHosts(raw: Buffer): Set<string> {
  const hosts = new Set<string>();
  let budget = MAX_SCAN;
  for (const part of leaves(parseMime(raw))) {
    if (budget <= 0) break;
    if (part.contentType !== 'text/plain' && part.contentType !== 'text/html') continue;
    let text = decodeText(part).slice(0, budget);
    budget -= text.length;
    if (part.contentType === 'text/html') text = decodeHtmlEntities(text);
    for (const m of text.matchAll(LINK_HOST)) {
      const h = asciiHost(m[0].toLowerCase().startsWith('www.') ? 'www.' + m[1]! : m[1]!);
      if (h) hosts.add(h);
    }
  }
  return hosts;
}

export class BlockMatcher {
  private readonly addresses = new Map<string, ActiveRule>();
  private readonly senderDomains = new Map<string, ActiveRule>();
  private readonly urlDomains = new Map<string, ActiveRule>();

  constructor(rules: readonly ActiveRule[]) {
    for (const r of rules) {
      const map = r.kind === 'sender-address' ? this.addresses : r.kind === 'sender-domain' ? this.senderDomains : this.urlDomains;
      if (!map.has(r.value)) map.set(r.value, r);
    }
  }

  get size(): number {
    return this.addresses.size + this.senderDomains.size + this.urlDomains.size;
  }

  /** The first rule in force at `nowIso` the message matches: sender address, then sender domain, then link domain. */
  match(raw: Buffer, envelope: { mailFrom: string; headerFrom: string | null }, nowIso: string): RuleHit | null {
    if (this.size === 0) return null;
    const live = (r: ActiveRule | undefined): r is ActiveRule => !!r && ruleInForce(r, nowIso);
    const senders = [bareAddress(envelope.mailFrom), bareAddress(envelope.headerFrom)].filter((a): a is string => !!a);
    for (const a of senders) {
      const r = this.addresses.get(a);
      if (live(r)) return hit(r);
    }
    if (this.senderDomains.size) {
      for (const a of senders) {
        for (const d of selfAndParents(asciiHost(a.slice(a.lastIndexOf('@') + 1)))) {
          const r = this.senderDomains.get(d);
          if (live(r)) return hit(r);
        }
      }
    }
    if (this.urlDomains.size) {
      for (const host of linkedHosts(raw)) {
        for (const d of selfAndParents(host)) {
          const r = this.urlDomains.get(d);
          if (live(r)) return hit(r);
        }
      }
    }
    return null;
  }
}

function hit(r: ActiveRule): RuleHit {
  return { ruleId: r.id, kind: r.kind, value: r.value };
}
