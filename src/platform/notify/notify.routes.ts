import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../http/app.js';

/** Notification history (users, LAs) and the outbox with its failures (platform admins). */
export function registerNotifyRoutes(app: FastifyInstance, deps: RouteDeps): void {
  void app;
  void deps;
}
