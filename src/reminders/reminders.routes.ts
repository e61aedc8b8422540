import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../platform/http/app.js';

/** Password lifetime per organisation. */
export function registerReminderRoutes(app: FastifyInstance, deps: RouteDeps): void {
  void app;
  void deps;
}
