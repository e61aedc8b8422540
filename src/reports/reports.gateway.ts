import type { Config } from '../platform/config/config.js';
import { fieldValue, parseHead } from '../platform/mail/mime/index.js';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import type { Logger } from '../platform/log/log.js';
import { BlockMatcher, bareAddress } from './blocklist.js';
import { activeBlockRules, blockRulesVersion } from './blocks.repo.js';
import { ingestReport } from './reports.commands.js';
import { accountById } from './reports.repo.js';

/** The SMTP envelope of a message arriving at the gateway. */
export interface ReportEnvelope {
  mailFrom: string;
  rcptTo: readonly string[];
  remoteAddress: string;
  /**
   * Account id when the gateway authenticated the sender as one of the platform's own
   * accounts (one From address, and the gateway's sender verdict says authenticated); null
   * otherwise, and the report is unverified.
   */
  internalSenderAccountId: string | null;
}

/**
 * Takes mail sent to a reporting address into the report store (durable before it returns,
 * so the gateway can answer 250). Never delivered to a mailbox.
 * The reporter is the internal sender's account when the gateway authenticated one
 * (verified: acknowledged, and its samples may raise compromise signals); otherwise the
 * report's From address (or the envelope sender), unverified: kept and triaged, nothing sent.
 * @throws Invalid for a message that cannot be kept (the gateway answers 5xx)
 * @throws RateLimited when the reporter sent too many reports this hour (answer 4xx: retry later)
 */
export async function ingestReportMail(db: Db, config: Config, now: Date, raw: Buffer, envelope: ReportEnvelope): Promise<{ reportId: string }> {
  const internal = envelope.internalSenderAccountId ? await accountById(db, envelope.internalSenderAccountId) : undefined;
  const headerFrom = bareAddress(fieldValue(parseHead(raw.subarray(0, 256 * 1024)), 'from'));
  const reporterAddress = internal?.email ?? headerFrom ?? bareAddress(envelope.mailFrom) ?? 'unknown-sender';
  const ctx: Ctx = { actor: null, via: 'system', ip: envelope.remoteAddress || null, requestId: null, now };
  const r = await ingestReport(db, config, ctx, raw, {
    via: 'smtp', reporterAddress, reporterAccountId: internal?.id ?? null, remoteAddress: envelope.remoteAddress || null, direct: false,
  });
  return { reportId: r.reportId };
}

/** A block rule that matched an inbound message. */
export interface BlockMatch {
  ruleId: string;
  kind: 'sender-address' | 'sender-domain' | 'url-domain';
  value: string;
}

/** Block rules held in memory by each gateway process, refreshed within seconds. */
export interface BlockList {
  /** The first rule the message matches, or null. Cheap when no rules exist. */
  match(raw: Buffer, envelope: { mailFrom: string; headerFrom: string | null }): BlockMatch | null;
  close(): Promise<void>;
  /** Version of the rules now held (the database's change counter when they were loaded). */
  readonly version: number;
  /** Re-reads the rules now if they changed (the poller does this every `reportBlockRefreshMs`). */
  refresh(): Promise<void>;
}

export interface BlockListOptions {
  /** Time source for expiry (default: the system clock). */
  now?: () => Date;
  logger?: Logger;
  /** Poll interval override, in milliseconds (default `reportBlockRefreshMs`). */
  pollMs?: number;
}

/**
 * Loads the active block rules and keeps them fresh (polling; every node converges within seconds).
 * A failed poll keeps the rules already held and is logged; the next poll retries.
 * @throws Error when the first load fails (the gateway should not start without its rules)
 */
export async function openBlockList(db: Db, config: Config, opts: BlockListOptions = {}): Promise<BlockList> {
  const now = opts.now ?? (() => new Date());
  let version = await blockRulesVersion(db);
  let matcher = new BlockMatcher(await activeBlockRules(db, now().toISOString()));
  let loadedAt = now().getTime();
  let closed = false;
  let running: Promise<void> | null = null;
  const pollMs = opts.pollMs ?? config.reportBlockRefreshMs;

  const refresh = async (): Promise<void> => {
    const v = await blockRulesVersion(db);
    // Reload on any change, and hourly anyway so expired rules leave memory.
    if (v === version && now().getTime() - loadedAt < 3_600_000) return;
    const rules = await activeBlockRules(db, now().toISOString());
    matcher = new BlockMatcher(rules);
    version = v;
    loadedAt = now().getTime();
    opts.logger?.info({ version, rules: rules.length }, 'block rules loaded');
  };
  const timer = setInterval(() => {
    if (closed || running) return;
    running = refresh()
      .catch((err: unknown) => {
        if (opts.logger) opts.logger.warn({ err }, 'block rules refresh failed; keeping the rules already loaded');
        else process.emitWarning(`block rules refresh failed; keeping the rules already loaded: ${(err as Error).message}`);
      })
      .finally(() => { running = null; });
  }, pollMs);
  timer.unref();

  return {
    match: (raw, envelope) => matcher.match(raw, envelope, now().toISOString()),
    get version() { return version; },
    refresh: async () => {
      if (running) await running;
      await refresh();
    },
    async close() {
      closed = true;
      clearInterval(timer);
      if (running) await running;
    },
  };
}
