/**
 * The sender history of the safety MailTips, shared by every gateway process through the
 * database, with an in-memory cache in each.
 *
 * Exact first contact: the cache holds only positive knowledge (pairs the database has
 * confirmed or this process has written), so a miss always asks the database; a new pair is
 * written before recordDelivered resolves. A pair one node has recorded is therefore known to
 * every node. Volume counts are written in batches (mailtipsWriteIntervalMs) and reused for
 * mailtipsVolumeCacheSeconds, so they are eventually consistent across nodes by that much.
 */
import type { Config } from '../platform/config/config.js';
import type { Db } from '../platform/db/db.js';
import { HistoryKeys } from './keys.js';
import { dayNumber, dayString, decideFrom, type DecideOptions, exemptionFor, normaliseAddress, type TipDecision, type TipRules } from './mailtips.js';
import { addSenderMessages, findPairs, listInternalDomains, sumSenderMessages, upsertPairs } from './mailtips.repo.js';
import { PairTable } from './pairtable.js';
import { sipOut } from './siphash.js';

export type { DecideOptions, TipDecision } from './mailtips.js';

export interface MailtipsStats {
  cachedPairs: number;
  cacheBytes: number;
  cachedSenders: number;
  pendingWrites: number;
  /** True while batched writes fail (the database is unreachable): the gateway may answer 451. */
  writeFailing: boolean;
}

/** Sender history shared by every gateway process (exact; a cache over the database). */
export interface MailtipsService {
  /**
   * Decisions for each recipient, in order. Does not record anything. `sender` is the
   * RFC5322.From address the recipient sees; `opts.authenticated`, the gateway's sender
   * verdict, enables the exemptions.
   * `accountLinkWarning` is always false here (the gateway sets it from scanAccountLinkLure).
   * @throws when the database cannot be reached and the cache cannot answer (answer 451).
   */
  decide(recipients: readonly string[], sender: string, now: Date, opts?: DecideOptions): Promise<TipDecision[]>;
  /**
   * Records that the message was accepted by the next hop for these recipients: call it once
   * per message (it counts one message for the sender's volume). New pairs are in the database
   * when the promise resolves, so every node then knows them.
   * @throws when the database cannot be reached. The message is delivered all the same: the
   * only effect is that a later message may get a first-contact tip again.
   */
  recordDelivered(recipients: readonly string[], sender: string, now: Date): Promise<void>;
  /** Figures for metrics and the benchmark. */
  stats(): MailtipsStats;
  /** Writes pending counts and stops the timers. @throws when the final write fails. */
  close(): Promise<void>;
}

export interface MailtipsLog {
  warn(obj: object, msg: string): void;
}

/** How often the list of member organisations' domains is read again. */
const DOMAINS_REFRESH_MS = 5 * 60_000;
/** Senders whose counts are kept in memory, at most. */
const MAX_CACHED_SENDERS = 200_000;

interface VolumeEntry {
  day: number;
  base: number;
  local: number;
  expires: number;
}

interface PendingCount {
  senderKey: string;
  mem: number;
  day: number;
  messages: number;
}

/** The history rules in force, from the configuration. */
export function rulesOf(config: Config): TipRules {
  return {
    threshold: config.mailtipsLowVolumeThreshold,
    windowDays: config.mailtipsVolumeWindowDays,
    retentionDays: config.mailtipsRetentionDays,
    exemptInternal: config.mailtipsExemptInternal,
    exemptSystem: config.mailtipsExemptSystem,
    platformDomain: config.platformDomain,
  };
}

class SenderHistory implements MailtipsService {
  private readonly keys: HistoryKeys;
  private readonly rules: TipRules;
  private readonly pairs: PairTable;
  private readonly volume = new Map<number, VolumeEntry>();
  private pendingCounts = new Map<string, PendingCount>();
  /** Unwritten messages per sender (in memory key), counted into fresh database sums. */
  private readonly unwritten = new Map<number, number>();
  private pendingSeen = new Map<string, string>();
  private internal: ReadonlySet<string> = new Set();
  private readonly timers: NodeJS.Timeout[] = [];
  private flushing: Promise<void> | null = null;
  private writeFailing = false;

  constructor(private readonly db: Db, private readonly config: Config, private readonly log?: MailtipsLog) {
    this.keys = new HistoryKeys(config.secretKey);
    this.rules = rulesOf(config);
    this.pairs = new PairTable(config.mailtipsCacheMaxPairs);
  }

  async start(): Promise<void> {
    await this.refreshDomains();
    const flush = setInterval(() => void this.flush().catch((err: Error) => this.warn(err, 'mailtips: history write failed; will retry')), this.config.mailtipsWriteIntervalMs);
    const domains = setInterval(() => void this.refreshDomains().catch((err: Error) => this.warn(err, 'mailtips: reading organisation domains failed; keeping the last list')), DOMAINS_REFRESH_MS);
    flush.unref();
    domains.unref();
    this.timers.push(flush, domains);
  }

  private warn(err: Error, msg: string): void {
    if (this.log) this.log.warn({ err: err.message }, msg);
    else process.emitWarning(`${msg}: ${err.message}`);
  }

  private async refreshDomains(): Promise<void> {
    this.internal = new Set(await listInternalDomains(this.db));
  }

  async decide(recipients: readonly string[], sender: string, now: Date, opts?: DecideOptions): Promise<TipDecision[]> {
    const s = normaliseAddress(sender);
    const exempt = exemptionFor(s, opts?.authenticated === true, this.rules, this.internal);
    const out = new Array<TipDecision>(recipients.length);
    if (exempt) {
      for (let i = 0; i < recipients.length; i++) out[i] = decideFrom(true, 0, this.rules, exempt);
      return out;
    }
    const today = dayNumber(now);
    const count = await this.senderCount(s, today, now.getTime());
    const oldest = today - this.rules.retentionDays;
    let misses: Array<{ i: number; hi: number; lo: number; key: string }> | null = null;
    for (let i = 0; i < recipients.length; i++) {
      // pairHash normalises as it hashes: no string is made for a cached pair.
      const lo = this.keys.pairHash(recipients[i]!, s);
      const hi = sipOut[0]!;
      if (this.pairs.get(hi, lo) >= oldest) out[i] = decideFrom(true, count, this.rules, null);
      else (misses ??= []).push({ i, hi, lo, key: this.keys.dbPairKey(normaliseAddress(recipients[i]!), s) });
    }
    if (misses) {
      const found = await findPairs(this.db, misses.map((m) => m.key));
      for (const m of misses) {
        const seen = found.get(m.key);
        const day = seen ? dayNumber(new Date(seen + 'T00:00:00Z')) : -1;
        const known = seen !== undefined && day >= oldest;
        if (known) this.pairs.set(m.hi, m.lo, day);
        out[m.i] = decideFrom(known, count, this.rules, null);
      }
    }
    return out;
  }

  /** Messages from the sender in the window, before the current one (cached for a while). */
  private async senderCount(s: string, today: number, nowMs: number): Promise<number> {
    const mem = this.keys.senderHash(s);
    const e = this.volume.get(mem);
    if (e && e.day === today && nowMs < e.expires) return e.base + e.local;
    const total = await sumSenderMessages(this.db, this.keys.dbSenderKey(s), dayString(today - this.rules.windowDays + 1));
    if (this.volume.size >= MAX_CACHED_SENDERS) this.volume.clear();
    const entry = { day: today, base: total + (this.unwritten.get(mem) ?? 0), local: 0, expires: nowMs + this.config.mailtipsVolumeCacheSeconds * 1000 };
    this.volume.set(mem, entry);
    return entry.base;
  }

  async recordDelivered(recipients: readonly string[], sender: string, now: Date): Promise<void> {
    if (recipients.length === 0) return;
    const s = normaliseAddress(sender);
    const today = dayNumber(now);
    const day = dayString(today);
    this.countMessage(s, today);
    let fresh: Array<{ hi: number; lo: number; pairKey: string; day: string }> | null = null;
    for (const rcpt of recipients) {
      const lo = this.keys.pairHash(rcpt, s);
      const hi = sipOut[0]!;
      const seen = this.pairs.get(hi, lo);
      if (seen === today) continue;
      const pairKey = this.keys.dbPairKey(normaliseAddress(rcpt), s);
      if (seen >= 0) {
        // Known: move last_seen forward in the next batch (once a day per pair at most).
        this.pairs.set(hi, lo, today);
        this.pendingSeen.set(pairKey, day);
      } else {
        (fresh ??= []).push({ hi, lo, pairKey, day });
      }
    }
    if (fresh) {
      await upsertPairs(this.db, fresh);
      for (const f of fresh) this.pairs.set(f.hi, f.lo, today);
    }
  }

  private countMessage(s: string, today: number): void {
    const mem = this.keys.senderHash(s);
    const k = `${mem}:${today}`;
    const p = this.pendingCounts.get(k);
    if (p) p.messages++;
    else this.pendingCounts.set(k, { senderKey: this.keys.dbSenderKey(s), mem, day: today, messages: 1 });
    this.unwritten.set(mem, (this.unwritten.get(mem) ?? 0) + 1);
    const e = this.volume.get(mem);
    if (e && e.day === today) e.local++;
  }

  /** Writes batched counts and last-seen days; on failure they stay pending for the next try. */
  flush(): Promise<void> {
    this.flushing ??= this.writePending().then(
      () => {
        this.writeFailing = false;
        this.flushing = null;
      },
      (err: unknown) => {
        this.writeFailing = true;
        this.flushing = null;
        throw err;
      },
    );
    return this.flushing;
  }

  private async writePending(): Promise<void> {
    if (this.pendingCounts.size === 0 && this.pendingSeen.size === 0) return;
    const counts = this.pendingCounts;
    const seen = this.pendingSeen;
    this.pendingCounts = new Map();
    this.pendingSeen = new Map();
    try {
      if (counts.size) await addSenderMessages(this.db, [...counts.values()].map((c) => ({ senderKey: c.senderKey, day: dayString(c.day), messages: c.messages })));
    } catch (err) {
      for (const [k, c] of counts) {
        const p = this.pendingCounts.get(k);
        if (p) p.messages += c.messages;
        else this.pendingCounts.set(k, c);
      }
      for (const [k, d] of seen) if (!this.pendingSeen.has(k)) this.pendingSeen.set(k, d);
      throw err;
    }
    for (const c of counts.values()) {
      const left = (this.unwritten.get(c.mem) ?? 0) - c.messages;
      if (left > 0) this.unwritten.set(c.mem, left);
      else this.unwritten.delete(c.mem);
    }
    try {
      if (seen.size) await upsertPairs(this.db, [...seen].map(([pairKey, day]) => ({ pairKey, day })));
    } catch (err) {
      for (const [k, d] of seen) if (!this.pendingSeen.has(k)) this.pendingSeen.set(k, d);
      throw err;
    }
  }

  stats(): MailtipsStats {
    return { cachedPairs: this.pairs.size, cacheBytes: this.pairs.byteLength, cachedSenders: this.volume.size, pendingWrites: this.pendingCounts.size + this.pendingSeen.size, writeFailing: this.writeFailing };
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    await this.flush();
  }
}

/**
 * Opens the sender history over `db` (reads the member organisations' domains, starts the
 * batched writer). Safe to open in several processes over one database.
 * @throws when the secret key is missing or the database cannot be read.
 */
export async function openMailtips(db: Db, config: Config, opts: { log?: MailtipsLog } = {}): Promise<MailtipsService> {
  const history = new SenderHistory(db, config, opts.log);
  await history.start();
  return history;
}
