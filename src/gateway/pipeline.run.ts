import type { Clock } from '../platform/clock.js';
import type { Config } from '../platform/config/config.js';
import type { Db } from '../platform/db/db.js';
import type { Logger } from '../platform/log/log.js';
import type { MessageHead } from '../platform/mail/mime/index.js';
import type { DnsResolver } from '../platform/smtp/dns.js';
import type { NextHop } from '../platform/smtp/nexthop.js';
import type { SessionInfo } from '../platform/smtp/server.js';
import { StageFailed } from '../platform/smtp/stages.js';
import type { MailtipsService, TipDecision } from '../mailtips/mailtips.service.js';
import type { BlockList } from '../reports/reports.gateway.js';
import { type Disposition, type RecipientResult, type SenderVerdict, isServed } from './gateway.js';
import type { GatewayMetrics } from './gateway.metrics.js';
import type { GatewayQuarantineTable } from './gateway.tables.js';
import type { DatabaseWatch, RedeliveryLedger } from './ledger.js';
import type { AuthVerdict, SealKey } from './pipeline.auth.js';
import type { GatewayStage } from './pipeline.stages.js';
import type { RecipientDirectory } from './recipients.js';

/** What the pipeline works with, and the state of one message (and of each copy) going through it. */

export interface PipelineDeps {
  config: Config;
  logger: Logger;
  db: Db;
  clock: Clock;
  /** The stages, in order (pipelineStages). */
  stages: readonly GatewayStage[];
  directory: RecipientDirectory;
  nextHop: NextHop;
  mailtips: MailtipsService;
  blockList: BlockList;
  ledger: RedeliveryLedger;
  /** No 250 unless the database answered after the message arrived. */
  dbWatch: DatabaseWatch;
  resolver: DnsResolver;
  /** The platform's DKIM key (spoof rule, ARC seal); null when none exists yet. */
  dkim: (SealKey & { selector: string }) | null;
  metrics: GatewayMetrics;
  hmacKey: Buffer;
  reportAddresses: ReadonlySet<string>;
  hostname: string;
  authservId: string;
}

export interface Envelope {
  mailFrom: string;
  rcptTo: readonly string[];
}

/** Why some recipients are to be kept in the quarantine instead of delivered. */
export interface Hold {
  reason: GatewayQuarantineTable['reason'];
  ruleId: string | null;
  detail: string;
  recipients: string[];
}

/** Per-message state: what arrived, what each stage found, and each recipient's disposition. */
export interface MessageRun {
  deps: PipelineDeps;
  session: SessionInfo;
  env: Envelope;
  now: Date;
  /** performance.now() when the message arrived (the database must answer after it). */
  arrived: number;
  raw: Buffer;
  head: MessageHead;
  /** Lower-case recipients in envelope order. */
  recipients: string[];
  keys: Map<string, string>;
  results: Map<string, Disposition>;
  digest: string;
  messageId: string | null;
  subject: string | null;
  fromAddresses: string[];
  /** Recipients served whose bookkeeping failed: remember them so the retry skips them. */
  forceLedger: string[];
  /** authenticate: mailauth's verdict on the bytes as received. */
  auth?: AuthVerdict;
  /** authenticate: who the sender is and whether it is authenticated (`senderVerdict`), for every later stage. */
  sender?: SenderVerdict;
  /** sanitise: the message without forged Authentication-Results; `ours`: the fields we add. */
  stripped?: Buffer;
  ours?: string;
  /** imitations: what mailboxes get (our fields, no imitation tips). */
  clean?: Buffer;
  /** block, spoof: recipients to keep in the quarantine. */
  held: Hold[];
  /**
   * spoof: the message claims to be the platform. Whoever it is still delivered to got the
   * genuine system mail, the one legitimate account-link email, so tips do not scan it for lures.
   */
  claimsPlatform: boolean;
  /** tips: one copy per distinct tip; `history`: recipients whose sender history learns of it. */
  copies: CopyRun[];
  history: Set<string>;
  /** deliver: recipients the next hop accepted. */
  delivered: string[];
  hooks: { onFailure(spec: { name: string }, kind: 'timeout' | 'error', err: unknown): void };
}

/** One copy of the message: the recipients that share a tip decision, and the bytes they get. */
export interface CopyRun {
  run: MessageRun;
  decision: TipDecision | null;
  recipients: string[];
  raw: Buffer;
}

/** What a failed stage tells the sender. */
export function tempfailText(err: unknown): string {
  return err instanceof StageFailed ? `4.3.0 Temporary local problem (${err.stage}), try again later` : '4.3.0 Temporary local problem, try again later';
}

/** Every recipient's disposition in envelope order; one still without any is answered 451. */
export function replyResults(run: MessageRun): RecipientResult[] {
  return run.recipients.map((recipient) => ({ recipient, disposition: run.results.get(recipient) ?? { kind: 'tempfail', text: tempfailText(null) } }));
}

/** Recipients still without a disposition. */
export function open(run: MessageRun, among: readonly string[] = run.recipients): string[] {
  return among.filter((r) => !run.results.has(r));
}

/** Open recipients not held for the quarantine. */
export function unheld(run: MessageRun): string[] {
  if (!run.held.length) return open(run);
  const held = new Set(run.held.flatMap((h) => h.recipients));
  return open(run).filter((r) => !held.has(r));
}

/** Recipients served so far (delivered, already served, quarantined, reported). */
export function served(run: MessageRun): string[] {
  return run.recipients.filter((r) => {
    const d = run.results.get(r);
    return d !== undefined && isServed(d);
  });
}

/**
 * Answers 451 for `recipients`: those still open, and those already served whose later
 * bookkeeping failed (remembered, so the sender's retry does not serve them twice).
 */
export function failAll(run: MessageRun, recipients: readonly string[], err: unknown): void {
  for (const r of recipients) {
    const d = run.results.get(r);
    if (d && !isServed(d)) continue;
    if (d) run.forceLedger.push(r);
    run.results.set(r, { kind: 'tempfail', text: tempfailText(err) });
  }
}
