import type { Clock } from '../platform/clock.js';
import type { Config } from '../platform/config/config.js';
import type { Db } from '../platform/db/db.js';
import type { Logger } from '../platform/log/log.js';
import type { DnsResolver } from '../platform/smtp/dns.js';
import type { NextHop } from '../platform/smtp/nexthop.js';
import type { SessionInfo } from '../platform/smtp/server.js';
import { type StageSpec, StageFailed } from '../platform/smtp/stages.js';
import type { MailtipsService } from '../mailtips/mailtips.service.js';
import type { BlockList } from '../reports/reports.gateway.js';
import type { Disposition } from './gateway.js';
import type { GatewayMetrics } from './gateway.metrics.js';
import type { DatabaseWatch, RedeliveryLedger } from './ledger.js';
import type { SealKey } from './pipeline.auth.js';
import type { RecipientDirectory } from './recipients.js';

/** What the pipeline works with, and the state of one message going through it. */

export interface PipelineDeps {
  config: Config;
  logger: Logger;
  db: Db;
  clock: Clock;
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

/** What a failed stage tells the sender. */
export function tempfailText(err: unknown): string {
  return err instanceof StageFailed ? `4.3.0 Temporary local problem (${err.stage}), try again later` : '4.3.0 Temporary local problem, try again later';
}

/** Per-message state shared by the steps. */
export interface MessageRun {
  deps: PipelineDeps;
  specs: Record<string, StageSpec>;
  session: SessionInfo;
  env: Envelope;
  now: Date;
  /** Lower-case recipients in envelope order. */
  recipients: string[];
  keys: Map<string, string>;
  results: Map<string, Disposition>;
  digest: string;
  size: number;
  messageId: string | null;
  subject: string | null;
  fromAddresses: string[];
  /** Recipients delivered whose bookkeeping failed: remember them so the retry skips them. */
  forceLedger: string[];
  hooks: { onFailure(spec: StageSpec, kind: 'timeout' | 'error', err: unknown): void };
}

/** Recipients still without a disposition. */
export function open(run: MessageRun, among: readonly string[] = run.recipients): string[] {
  return among.filter((r) => !run.results.has(r));
}

export function failAll(run: MessageRun, recipients: readonly string[], err: unknown): void {
  for (const r of recipients) if (!run.results.has(r)) run.results.set(r, { kind: 'tempfail', text: tempfailText(err) });
}

