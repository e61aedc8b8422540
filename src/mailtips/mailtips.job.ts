import type { Clock } from '../platform/clock.js';
import type { Config } from '../platform/config/config.js';
import type { Db } from '../platform/db/db.js';
import { dayNumber, dayString } from './mailtips.js';
import { deleteOldHistory } from './mailtips.repo.js';

export interface MailtipsJobDeps {
  db: Db;
  config: Config;
  clock: Clock;
}

/**
 * Retention of the sender history (run daily): forgets pairs with no delivery for
 * mailtipsRetentionDays (their next message is a first contact again, as the cache agrees)
 * and per-day counts older than the volume window (no decision can use them). Idempotent;
 * safe on several nodes at once.
 * @throws when the database cannot be reached.
 */
export async function purgeSenderHistory(deps: MailtipsJobDeps): Promise<{ pairs: number; senderDays: number }> {
  const today = dayNumber(deps.clock.now());
  return deleteOldHistory(deps.db, dayString(today - deps.config.mailtipsRetentionDays), dayString(today - deps.config.mailtipsVolumeWindowDays + 1));
}
