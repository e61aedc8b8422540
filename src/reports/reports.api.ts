import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../platform/http/app.js';

/** Phishing report API under /api/v1. */
export function registerReportApi(app: FastifyInstance, deps: RouteDeps): void {
  void app;
  void deps;
}
