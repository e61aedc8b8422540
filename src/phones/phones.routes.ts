import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../platform/http/app.js';

/** UK-only mobile numbers: sweep (platform admins), LA remediation. */
export function registerPhoneRoutes(app: FastifyInstance, deps: RouteDeps): void {
  void app;
  void deps;
}
