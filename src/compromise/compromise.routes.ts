import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../platform/http/app.js';

/** Compromised accounts: mark, cases, checklist (CSOC, platform admins, LAs). */
export function registerCompromiseRoutes(app: FastifyInstance, deps: RouteDeps): void {
  void app;
  void deps;
}
