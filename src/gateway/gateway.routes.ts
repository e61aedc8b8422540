import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../platform/http/app.js';

/** Quarantine of the SMTP gateway (CSOC, platform admins). */
export function registerGatewayRoutes(app: FastifyInstance, deps: RouteDeps): void {
  void app;
  void deps;
}
