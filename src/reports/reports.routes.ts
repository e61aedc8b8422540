import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../platform/http/app.js';

/** Phishing reports: upload, CSOC queue and triage. */
export function registerReportRoutes(app: FastifyInstance, deps: RouteDeps): void {
  void app;
  void deps;
}
