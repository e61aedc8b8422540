import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../platform/http/plugin.js';
import { registerConsoleRoutes } from './console.routes.js';
import { registerQuestionRoutes } from './questions.routes.js';
import { registerReviewRoutes } from './review.routes.js';
import { registerSelfServiceRoutes } from './selfservice.routes.js';

/**
 * Security questions (/security/questions, and the prompt after sign-in), the helpdesk/LA
 * verify-then-reset console (/recovery), self-service reset (/password/forgotten) and the
 * LAs' reset review (/recovery/review).
 */
export function registerRecoveryRoutes(app: FastifyInstance, deps: RouteDeps): void {
  registerQuestionRoutes(app, deps);
  registerConsoleRoutes(app, deps);
  registerSelfServiceRoutes(app, deps);
  registerReviewRoutes(app, deps);
}
