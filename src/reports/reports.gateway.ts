import type { Config } from '../platform/config/config.js';
import type { Db } from '../platform/db/db.js';

/** The SMTP envelope of a message arriving at the gateway. */
export interface ReportEnvelope {
  mailFrom: string;
  rcptTo: readonly string[];
  remoteAddress: string;
  /** Account id when the sender is one of the platform's own accounts (authenticated internal origin). */
  internalSenderAccountId: string | null;
}

/**
 * Takes mail sent to a reporting address into the report store (durable before it returns,
 * so the gateway can answer 250). Never delivered to a mailbox.
 * @throws Invalid for a message that cannot be kept (the gateway answers 5xx)
 */
export async function ingestReportMail(db: Db, config: Config, now: Date, raw: Buffer, envelope: ReportEnvelope): Promise<{ reportId: string }> {
  void db; void config; void now; void raw; void envelope;
  throw new Error('ingestReportMail: not implemented yet (issue 7)');
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
}

/** Loads the active block rules and keeps them fresh (polling; every node converges within seconds). */
export async function openBlockList(db: Db, config: Config): Promise<BlockList> {
  void db; void config;
  throw new Error('openBlockList: not implemented yet (issue 7)');
}
