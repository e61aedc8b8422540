import Fastify, { type FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, register } from 'prom-client';
import { type Db, pingDatabase } from '../db/db.js';
import type { Logger } from '../log/log.js';

let defaultsCollected = false;

export const httpRequests = new Counter({ name: 'postwarden_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'] as const, registers: [] });
export const httpDuration = new Histogram({ name: 'postwarden_http_request_duration_seconds', help: 'HTTP request duration', labelNames: ['method', 'route'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [] });

/**
 * /healthz answers 200 only when the database answers. The portal counts its requests
 * but never serves them: /metrics has its own listener (startMetricsListener).
 * Route labels are route patterns (never raw URLs), so ids and searches do not leak
 * into metrics or blow up label cardinality.
 */
export function registerHealthRoutes(app: FastifyInstance, db: Db): void {
  if (!defaultsCollected) {
    collectDefaultMetrics({ prefix: 'postwarden_' });
    register.registerMetric(httpRequests);
    register.registerMetric(httpDuration);
    defaultsCollected = true;
  }
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });
  app.get('/healthz', { config: { auth: 'none' }, schema: { hide: true } }, async (_req, reply) => {
    const ok = await pingDatabase(db);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', database: ok ? 'ok' : 'unreachable' });
  });
}

/** A running metrics listener: where it listens, and how to stop it. */
export interface MetricsListener {
  address: string;
  close(): Promise<void>;
}

/**
 * Serves the process's Prometheus registry (the portal's request counters, the defaults,
 * and the gateway's counters that its workers forward to this primary) as `GET /metrics`
 * on its own listener, so that the public portal never answers it. Anything else is 404.
 * @throws Error when the address cannot be bound
 */
export async function startMetricsListener(addr: string, logger: Logger): Promise<MetricsListener> {
  const i = addr.lastIndexOf(':');
  const app = Fastify({ loggerInstance: logger.child({ listener: 'metrics' }) }) as unknown as FastifyInstance;
  // Scrapes come every few seconds: their request lines are not worth logging.
  app.get('/metrics', { logLevel: 'warn' }, async (_req, reply) => reply.type(register.contentType).header('cache-control', 'no-store').send(await register.metrics()));
  await app.listen({ host: addr.slice(0, i), port: Number(addr.slice(i + 1)) });
  const bound = app.server.address();
  const port = typeof bound === 'object' && bound ? bound.port : Number(addr.slice(i + 1));
  return { address: `${addr.slice(0, i)}:${port}`, close: () => app.close() };
}
