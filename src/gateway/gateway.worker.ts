import cluster from 'node:cluster';
import { openDatabase } from '../platform/db/db.js';
import { createLogger } from '../platform/log/log.js';
import { askPrimary } from './gateway.anvil.js';
import { MSG, deserialiseConfig } from './gateway.cluster.js';
import { type RunningGateway, startGateway } from './gateway.service.js';

/**
 * Entry point of a gateway worker process (forked by gateway.cluster.ts). Waits for the
 * configuration from the primary, opens its own database connections, listens on the
 * shared socket. Signals from the terminal are the primary's business: the worker stops
 * when told to, or when the primary goes away (it then finishes its open sessions first).
 */

if (!cluster.isWorker || !process.send) {
  process.stderr.write('gateway.worker is started by `postwarden serve`, not directly\n');
  process.exit(2);
}

let running: { gateway: RunningGateway; close(): Promise<void> } | null = null;
let stopping = false;

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  const hard = setTimeout(() => process.exit(code), 45_000);
  hard.unref();
  try {
    await running?.gateway.close(30_000);
    await running?.close();
  } finally {
    process.exit(code);
  }
}

process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => void stop(0));
process.on('disconnect', () => void stop(0));
process.on('message', (m: { type?: string; config?: Record<string, unknown> }) => {
  if (m?.type === MSG.stop) {
    void stop(0);
    return;
  }
  if (m?.type !== MSG.config || running || !m.config) return;
  const config = deserialiseConfig(m.config);
  const logger = createLogger(config.logLevel).child({ worker: cluster.worker?.id });
  (async () => {
    const handle = await openDatabase(config.databaseUrl, { poolSize: 4 });
    try {
      // Connections per client address are counted by the primary, for all workers at once.
      const admission = config.smtpMaxConnectionsPerClient > 0 ? askPrimary() : undefined;
      const gateway = await startGateway(config, { db: handle.db, logger, admission });
      running = { gateway, close: () => handle.close() };
      process.send!({ type: MSG.listening, port: gateway.port });
    } catch (err) {
      await handle.close();
      throw err;
    }
  })().catch((err: unknown) => {
    logger.error({ err: (err as Error).message }, 'gateway worker could not start');
    process.send!({ type: MSG.failed, error: (err as Error).message }, () => process.exit(1));
  });
});
process.send({ type: MSG.hello });
