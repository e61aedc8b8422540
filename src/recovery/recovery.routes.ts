import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../platform/http/app.js';

/** Security questions, the helpdesk/LA verify-then-reset console, self-service reset, reset review. */
export function registerRecoveryRoutes(app: FastifyInstance, deps: RouteDeps): void {
  void app;
  void deps;
}
