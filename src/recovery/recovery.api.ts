import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../platform/http/app.js';

/** Recovery API under /api/v1 (reset review export). */
export function registerRecoveryApi(app: FastifyInstance, deps: RouteDeps): void {
  void app;
  void deps;
}
