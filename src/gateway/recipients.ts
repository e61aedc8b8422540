import type { Db } from '../platform/db/db.js';
import { findMailbox, isOrganisationDomain } from './gateway.repo.js';

/**
 * Who the gateway receives mail for, with a cache over the directory so the hot path
 * rarely touches the database: a known mailbox is remembered for minutes, an unknown one
 * for a minute (a new account receives mail within a minute of its creation).
 */

export type RecipientClass = 'mailbox' | 'report' | 'unknown' | 'foreign';

export interface RecipientDirectory {
  /** @throws Error when the database cannot answer (the gateway answers 451) */
  classify(address: string): Promise<RecipientClass>;
  /** The account of a local address, or null. @throws Error when the database cannot answer */
  accountOf(address: string): Promise<{ id: string; organisationId: string } | null>;
  /** Whether a domain is the platform's or an organisation's. @throws Error as above */
  isLocalDomain(domain: string): Promise<boolean>;
}

interface Entry<T> {
  value: T;
  until: number;
}

class TtlCache<T> {
  private map = new Map<string, Entry<T>>();
  constructor(private max: number) {}
  get(key: string, now: number): T | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.until <= now) {
      this.map.delete(key);
      return undefined;
    }
    return e.value;
  }
  set(key: string, value: T, until: number): void {
    if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value!);
    this.map.set(key, { value, until });
  }
}

export interface DirectoryOptions {
  platformDomain: string;
  reportAddresses: readonly string[];
  positiveSeconds?: number;
  negativeSeconds?: number;
  maxEntries?: number;
  now?: () => number;
}

/** A cached directory over `db`. */
export function openRecipientDirectory(db: Db, opts: DirectoryOptions): RecipientDirectory {
  const platform = opts.platformDomain.toLowerCase();
  const reports = new Set(opts.reportAddresses.map((a) => a.toLowerCase()));
  const pos = (opts.positiveSeconds ?? 600) * 1000;
  const neg = (opts.negativeSeconds ?? 60) * 1000;
  const now = opts.now ?? Date.now;
  const mailboxes = new TtlCache<{ id: string; organisationId: string } | null>(opts.maxEntries ?? 200_000);
  const domains = new TtlCache<boolean>(50_000);
  const inflight = new Map<string, Promise<unknown>>();

  // One query per key at a time, however many sessions ask at once.
  function once<T>(key: string, load: () => Promise<T>): Promise<T> {
    const p = inflight.get(key) as Promise<T> | undefined;
    if (p) return p;
    const q = load().finally(() => inflight.delete(key));
    inflight.set(key, q);
    return q;
  }

  async function isLocalDomain(domain: string): Promise<boolean> {
    const d = domain.toLowerCase();
    if (d === platform) return true;
    const t = now();
    const hit = domains.get(d, t);
    if (hit !== undefined) return hit;
    return once(`d:${d}`, async () => {
      const yes = await isOrganisationDomain(db, d);
      domains.set(d, yes, t + (yes ? pos : neg));
      return yes;
    });
  }

  async function accountOf(address: string): Promise<{ id: string; organisationId: string } | null> {
    const a = address.toLowerCase();
    const t = now();
    const hit = mailboxes.get(a, t);
    if (hit !== undefined) return hit;
    return once(`a:${a}`, async () => {
      const found = (await findMailbox(db, a)) ?? null;
      mailboxes.set(a, found, t + (found ? pos : neg));
      return found;
    });
  }

  return {
    isLocalDomain,
    accountOf,
    async classify(address) {
      const a = address.toLowerCase();
      if (reports.has(a)) return 'report';
      const at = a.lastIndexOf('@');
      if (at <= 0) return 'unknown';
      if (!(await isLocalDomain(a.slice(at + 1)))) return 'foreign';
      return (await accountOf(a)) ? 'mailbox' : 'unknown';
    },
  };
}
