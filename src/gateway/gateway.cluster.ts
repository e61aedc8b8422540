import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Config } from '../platform/config/config.js';
import type { Db } from '../platform/db/db.js';
import type { Logger } from '../platform/log/log.js';
import { createAddressCounter } from '../platform/smtp/admission.js';
import { serveAdmission } from './gateway.anvil.js';
import { applyWorkerMetrics } from './gateway.metrics.js';
import { startGateway } from './gateway.service.js';

/**
 * Runs the SMTP gateway for `serve`: inside the process (gatewayWorkers = 0) or in
 * node:cluster workers sharing one listening socket, so every core inspects mail while the
 * primary keeps the portal and jobs. Workers get the configuration over IPC (never in
 * their environment), report their metrics to the primary, are restarted if they die, and
 * finish their open sessions when the primary stops them or disappears. The primary counts
 * connections per client address for all of them (gateway.anvil.ts).
 */

export interface GatewayProcesses {
  /** host:port actually listened on. */
  address: string;
  workers: number;
  stop(): Promise<void>;
}

export const MSG = { hello: 'postwarden:gateway-hello', config: 'postwarden:gateway-config', listening: 'postwarden:gateway-listening', failed: 'postwarden:gateway-failed', stop: 'postwarden:gateway-stop' } as const;

/** How many workers the configuration asks for ('auto': one per core, at most 8; set a number beyond). */
export function workerCount(config: Pick<Config, 'gatewayWorkers'>): number {
  return config.gatewayWorkers === 'auto' ? Math.min(8, Math.max(1, availableParallelism())) : config.gatewayWorkers;
}

/** The configuration as a worker receives it (the secret key as hex). */
export function serialiseConfig(config: Config): Record<string, unknown> {
  return { ...config, secretKey: config.secretKey.toString('hex') };
}

export function deserialiseConfig(data: Record<string, unknown>): Config {
  return Object.freeze({ ...data, secretKey: Buffer.from(String(data.secretKey ?? ''), 'hex') }) as unknown as Config;
}

/**
 * A worker's young generation is larger than Node's default (64 MB semi-spaces instead of
 * 16): every message allocates its buffers and header strings afresh, and fewer scavenges
 * cost about 4 % less CPU per message in bench:gateway (paired runs, 2026-11-30), for about
 * 50 MB more memory per worker.
 */
const WORKER_V8_FLAGS = ['--max-semi-space-size=64'];

function workerEntry(): { exec: string; execArgv: string[] } {
  const ts = import.meta.url.endsWith('.ts');
  const exec = fileURLToPath(new URL(`./gateway.worker.${ts ? 'ts' : 'js'}`, import.meta.url));
  return { exec, execArgv: [...(ts ? ['--import', import.meta.resolve('tsx')] : []), ...WORKER_V8_FLAGS] };
}

/**
 * Starts the gateway the way the configuration says.
 * @throws Error when the gateway cannot start (a worker reports the reason)
 */
export async function startGatewayProcesses(config: Config, logger: Logger, db: Db): Promise<GatewayProcesses> {
  const n = workerCount(config);
  if (n === 0) {
    const gw = await startGateway(config, { db, logger });
    return { address: `${gw.host}:${gw.port}`, workers: 0, stop: () => gw.close() };
  }
  if (!cluster.isPrimary) throw new Error('the gateway cluster must be started from the primary process');
  cluster.setupPrimary({ ...workerEntry(), silent: false });
  let stopping = false;
  const live = new Set<Worker>();
  const perClient = createAddressCounter(config.smtpMaxConnectionsPerClient);

  const fork = (): Promise<number> => new Promise((resolve, reject) => {
    const w = cluster.fork();
    live.add(w);
    if (config.smtpMaxConnectionsPerClient > 0) serveAdmission(perClient, w);
    w.on('message', (m: { type?: string; port?: number; error?: string }) => {
      if (applyWorkerMetrics(m)) return;
      // The worker asks once its handlers are in place (a message sent earlier would be lost).
      // Workers log at the level of the logger they were started with (quickstart quiets it).
      if (m?.type === MSG.hello) w.send({ type: MSG.config, config: serialiseConfig({ ...config, logLevel: logger.level as Config['logLevel'] }) });
      if (m?.type === MSG.listening) resolve(m.port!);
      if (m?.type === MSG.failed) reject(new Error(m.error ?? 'gateway worker failed to start'));
    });
    w.on('exit', (code, signal) => {
      live.delete(w);
      reject(new Error(`gateway worker exited before listening (${signal ?? code})`));
      if (stopping) return;
      logger.error({ workerPid: w.process.pid, code, signal }, 'gateway worker died; starting another');
      setTimeout(() => {
        if (!stopping) fork().catch((err: unknown) => logger.error({ err: (err as Error).message }, 'gateway worker failed to restart'));
      }, 1000).unref();
    });
  });

  const stop = async (): Promise<void> => {
    stopping = true;
    await Promise.all([...live].map((w) => new Promise<void>((resolve) => {
      const timer = setTimeout(() => { w.process.kill('SIGKILL'); }, 40_000);
      w.once('exit', () => { clearTimeout(timer); resolve(); });
      if (w.isConnected()) w.send({ type: MSG.stop });
      else w.process.kill('SIGTERM');
    })));
  };

  try {
    const ports = await Promise.all(Array.from({ length: n }, fork));
    const host = config.smtpAddr.slice(0, config.smtpAddr.lastIndexOf(':'));
    logger.info({ workers: n, smtpAddr: `${host}:${ports[0]}` }, 'SMTP gateway workers listening');
    return { address: `${host}:${ports[0]}`, workers: n, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
