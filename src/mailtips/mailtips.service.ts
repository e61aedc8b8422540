import type { Config } from '../platform/config/config.js';
import type { Db } from '../platform/db/db.js';

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
}

/** Sender history shared by every gateway process (exact; a cache over the database). */
export interface MailtipsService {
  /** Decisions for each recipient, in order. Does not record anything. */
  decide(recipients: readonly string[], sender: string, now: Date): Promise<TipDecision[]>;
  /** Records that the message was accepted by the next hop for these recipients. */
  recordDelivered(recipients: readonly string[], sender: string, now: Date): Promise<void>;
  close(): Promise<void>;
}

/** Opens the sender history over `db`. */
export async function openMailtips(db: Db, config: Config): Promise<MailtipsService> {
  void db; void config;
  throw new Error('openMailtips: not implemented yet (issue 6, mailtips)');
}
