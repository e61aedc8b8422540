import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../platform/http/app.js';

/** LA bulletins: write, preview, publish (platform admins); read with unread markers (LAs). */
export function registerBulletinRoutes(app: FastifyInstance, deps: RouteDeps): void {
  void app;
  void deps;
}
