import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../platform/http/app.js';

/** Compromise API under /api/v1. */
export function registerCompromiseApi(app: FastifyInstance, deps: RouteDeps): void {
  void app;
  void deps;
}
