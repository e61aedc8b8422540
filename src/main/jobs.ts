import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Clock } from '../platform/clock.js';
import type { Config } from '../platform/config/config.js';
import type { Db } from '../platform/db/db.js';
import { withLease } from '../platform/jobs/leases.js';
import { type RepeatingJob, startRepeating } from '../platform/jobs/scheduler.js';
import type { Logger } from '../platform/log/log.js';
import { closeMailer } from '../platform/notify/mailer.js';
import { deliverDueNotifications } from '../platform/notify/runner.js';
import { runCompromiseEscalation } from '../compromise/compromise.escalation.js';
import { purgeGatewayData } from '../gateway/gateway.commands.js';
import { purgeSenderHistory } from '../mailtips/mailtips.job.js';
import { runPasswordReminders } from '../reminders/reminders.job.js';

export interface JobsDeps {
  config: Config;
  db: Db;
  logger: Logger;
  clock: Clock;
}

export interface RunningJobs {
  stop(): Promise<void>;
}

/** How often the reminder job looks for due reminders. */
export const REMINDERS_INTERVAL_MS = 3_600_000;

/**
 * Starts the background jobs of `serve`: the outbox runner (every `outboxPollSeconds`, on
 * every node: claims are atomic), password-expiry reminders (hourly, first a minute after
 * start; one node at a time by lease, idempotent anyway), the sender-history and gateway purges (daily: expired quarantine and redelivery records), compromise-case escalation
 * (every 15 minutes; safe on several nodes). Errors are logged, never thrown.
 */
export function startJobs(deps: JobsDeps): RunningJobs {
  const { config, db, logger, clock } = deps;
  const node = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const jobs: RepeatingJob[] = [];
  jobs.push(startRepeating({
    name: 'outbox', intervalMs: config.outboxPollSeconds * 1000, logger,
    run: async () => {
      // Drain what is due, a batch at a time, before sleeping again.
      for (let i = 0; i < 20; i++) {
        const r = await deliverDueNotifications({ db, config, clock, logger }, { workerId: node, limit: 50 });
        if (r.sent + r.failed + r.retried + r.cancelled < 50) break;
      }
    },
  }));
  jobs.push(startRepeating({
    name: 'password-reminders', intervalMs: REMINDERS_INTERVAL_MS, firstRunMs: 60_000, logger,
    run: () => withLease(db, 'password-reminders', node, clock.now(), 30 * 60_000, () => runPasswordReminders({ db, config, clock, logger })),
  }));
  jobs.push(startRepeating({
    name: 'sender-history-purge', intervalMs: 24 * 3_600_000, firstRunMs: 5 * 60_000, logger,
    run: () => withLease(db, 'sender-history-purge', node, clock.now(), 60 * 60_000, () => purgeSenderHistory({ db, config, clock })),
  }));
  jobs.push(startRepeating({
    name: 'gateway-purge', intervalMs: 24 * 3_600_000, firstRunMs: 10 * 60_000, logger,
    run: () => withLease(db, 'gateway-purge', node, clock.now(), 60 * 60_000, () => purgeGatewayData(db, config, clock.now())),
  }));
  jobs.push(startRepeating({
    name: 'compromise-escalation', intervalMs: 15 * 60_000, firstRunMs: 2 * 60_000, logger,
    run: async () => { await runCompromiseEscalation({ config, db, clock, logger }); },
  }));
  return {
    async stop() {
      await Promise.all(jobs.map((j) => j.stop()));
      closeMailer();
    },
  };
}
