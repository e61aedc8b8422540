import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, register } from 'prom-client';
import { type Db, pingDatabase } from '../db/db.js';

let defaultsCollected = false;

export const httpRequests = new Counter({ name: 'postwarden_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'] as const, registers: [] });
export const httpDuration = new Histogram({ name: 'postwarden_http_request_duration_seconds', help: 'HTTP request duration', labelNames: ['method', 'route'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [] });

/**
 * /healthz answers 200 only when the database answers; /metrics is Prometheus text.
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
  app.get('/metrics', { config: { auth: 'none' }, schema: { hide: true } }, async (_req, reply) => {
    return reply.type(register.contentType).send(await register.metrics());
  });
}
