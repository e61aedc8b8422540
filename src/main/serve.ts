import type { FastifyInstance } from 'fastify';
import { buildApp } from '../platform/http/app.js';
import { PLUGINS } from './plugins.js';
import { systemClock } from '../platform/clock.js';
import type { Config } from '../platform/config/config.js';
import { type DatabaseHandle, migrateToLatest, openDatabase } from '../platform/db/db.js';
import { migrations } from './migrations.js';
import { startMetricsListener } from '../platform/http/health.routes.js';
import { createLogger, type Logger } from '../platform/log/log.js';
import { startJobs } from './jobs.js';
import { startGatewayProcesses } from '../gateway/gateway.cluster.js';

export interface Running {
  app: FastifyInstance;
  handle: DatabaseHandle;
  portalUrl: string;
  /** host:port the SMTP gateway listens on. */
  smtpAddress: string;
  /** host:port of the Prometheus /metrics listener, or null when POSTWARDEN_METRICS_ADDR is 'off'. */
  metricsAddress: string | null;
  stop(): Promise<void>;
}

function splitAddr(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  return { host: addr.slice(0, i), port: Number(addr.slice(i + 1)) };
}

/**
 * Opens the database, migrates it, and starts the portal and API on POSTWARDEN_HTTP_ADDR,
 * the SMTP gateway on POSTWARDEN_SMTP_ADDR (in worker processes unless
 * POSTWARDEN_GATEWAY_WORKERS=0), Prometheus /metrics on POSTWARDEN_METRICS_ADDR (never on
 * the portal) and the background jobs. Never seeds data.
 * @throws Error when the secret key is missing (run `postwarden init`) or a port is taken
 */
export async function startServer(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<Running> {
  if (!config.secretKeyConfigured) {
    throw new Error(`No secret key: run \`postwarden init\` (creates ${config.dataDir}/secret.key) or set POSTWARDEN_SECRET_KEY.`);
  }
  const handle = await openDatabase(config.databaseUrl);
  await migrateToLatest(handle.db, migrations, handle.schema);
  const app = await buildApp({ config, db: handle.db, logger, clock: systemClock }, PLUGINS);
  const { host, port } = splitAddr(config.httpAddr);
  await app.listen({ host, port });
  const bound = app.server.address();
  const actualPort = typeof bound === 'object' && bound ? bound.port : port;
  const portalUrl = port === 0 ? config.publicUrl.replace(/:\d+$/, `:${actualPort}`) : config.publicUrl;
  let gateway;
  let metrics;
  try {
    metrics = config.metricsAddr === 'off' ? null : await startMetricsListener(config.metricsAddr, logger);
    gateway = await startGatewayProcesses(config, logger, handle.db);
  } catch (err) {
    await metrics?.close();
    await app.close();
    await handle.close();
    throw err;
  }
  const jobs = startJobs({ config, db: handle.db, logger, clock: systemClock });
  let stopped = false;
  return {
    app,
    handle,
    portalUrl,
    smtpAddress: gateway.address,
    metricsAddress: metrics?.address ?? null,
    async stop() {
      if (stopped) return;
      stopped = true;
      // Stop taking mail first and let open sessions finish, then the rest.
      await gateway.stop();
      await jobs.stop();
      await app.close();
      await metrics?.close();
      await handle.close();
    },
  };
}

/** Stops cleanly on SIGINT/SIGTERM: in-flight requests finish, connections close. */
export function stopOnSignals(running: Running, logger: Logger): void {
  const stop = (signal: string): void => {
    logger.info({ signal }, 'stopping');
    running.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
