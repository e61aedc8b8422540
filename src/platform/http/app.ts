import { createHmac, randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import view from '@fastify/view';
import Fastify, { type FastifyInstance } from 'fastify';
import nunjucks from 'nunjucks';
import { registerAuditRoutes } from '../../audit/audit.routes.js';
import { registerDashboardRoutes } from '../../dashboard/dashboard.routes.js';
import { registerDirectoryApi } from '../../directory/directory.api.js';
import { registerDirectoryRoutes } from '../../directory/directory.routes.js';
import { registerSigninRoutes } from '../../signin/signin.routes.js';
import { registerMfaRoutes } from '../../mfa/mfa.routes.js';
import { registerWebauthnRoutes } from '../../mfa/webauthn.routes.js';
import { registerCoverageRoutes } from '../../mfa/coverage.routes.js';
import { registerCoverageApi } from '../../mfa/coverage.api.js';
import { registerSessionRoutes } from '../../signin/sessions.routes.js';
import { registerBulletinRoutes } from '../../bulletins/bulletins.routes.js';
import { registerCompromiseApi } from '../../compromise/compromise.api.js';
import { registerCompromiseRoutes } from '../../compromise/compromise.routes.js';
import { registerGatewayRoutes } from '../../gateway/gateway.routes.js';
import { registerPhoneRoutes } from '../../phones/phones.routes.js';
import { registerRecoveryApi } from '../../recovery/recovery.api.js';
import { registerRecoveryRoutes } from '../../recovery/recovery.routes.js';
import { registerReminderRoutes } from '../../reminders/reminders.routes.js';
import { registerReportApi } from '../../reports/reports.api.js';
import { registerReportRoutes } from '../../reports/reports.routes.js';
import { registerNotifyRoutes } from '../notify/notify.routes.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/config.js';
import type { Db } from '../db/db.js';
import type { Logger } from '../log/log.js';
import { publicAssetsDir, viewPaths } from '../paths.js';
import { registerAuth } from './auth.js';
import { registerCsrf } from './csrf.js';
import { registerErrorHandling } from './errors.js';
import { registerHealthRoutes } from './health.routes.js';
import './types.js';

export interface AppDeps {
  config: Config;
  db: Db;
  logger: Logger;
  clock: Clock;
}

/** The Content-Security-Policy of every response: self only, no inline script or style. */
export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  frameAncestors: ["'none'"],
  formAction: ["'self'"],
  upgradeInsecureRequests: null,
};

/**
 * Builds the portal and API. Nothing listens yet: `serve` calls listen(), tests use inject().
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, db, clock } = deps;
  const app = Fastify({
    loggerInstance: deps.logger,
    genReqId: () => randomUUID(),
    trustProxy: config.trustProxy,
    bodyLimit: 1024 * 1024,
  }) as unknown as FastifyInstance; // pino's Logger type is wider than FastifyBaseLogger

  const cookieSecret = createHmac('sha256', config.secretKey.length ? config.secretKey : Buffer.from('unset')).update('cookie-signing').digest();
  await app.register(cookie, { secret: cookieSecret });
  await app.register(formbody);
  await app.register(helmet, {
    contentSecurityPolicy: { directives: CSP_DIRECTIVES },
    strictTransportSecurity: config.cookieSecure,
    crossOriginEmbedderPolicy: false,
  });
  await app.register(rateLimit, { global: false });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: `${config.serviceName} API`, version: '1', description: 'Directory API. Authenticate with `Authorization: Bearer <token>` (`postwarden token create`). Every result is limited to the organisations the token\'s account may see.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  const env = nunjucks.configure(viewPaths, { autoescape: true, throwOnUndefined: false, noCache: false });
  await app.register(view, { engine: { nunjucks }, templates: viewPaths, options: { env } });
  await app.register(fastifyStatic, {
    root: publicAssetsDir,
    prefix: '/assets/',
    maxAge: '1h',
    // Assets are public; they need no session lookup.
    decorateReply: false,
  });

  // CSRF on every state-changing portal request, bound to the session (csrf.ts). A request
  // that matches no route changes nothing and is answered 404 (JSON under /api/).
  await registerCsrf(app, config, cookieSecret);

  registerAuth(app, { db, clock, config, sessions: { idleMinutes: config.sessionIdleMinutes, absoluteHours: config.sessionAbsoluteHours } });
  registerErrorHandling(app, config);
  registerHealthRoutes(app, db);
  const routeDeps = { config, db, clock };
  registerSigninRoutes(app, routeDeps);
  registerMfaRoutes(app, routeDeps);
  registerWebauthnRoutes(app, routeDeps);
  registerCoverageRoutes(app, routeDeps);
  registerSessionRoutes(app, routeDeps);
  registerDashboardRoutes(app, routeDeps);
  registerDirectoryRoutes(app, routeDeps);
  registerAuditRoutes(app, routeDeps);
  registerNotifyRoutes(app, routeDeps);
  registerBulletinRoutes(app, routeDeps);
  registerReminderRoutes(app, routeDeps);
  registerGatewayRoutes(app, routeDeps);
  registerRecoveryRoutes(app, routeDeps);
  registerPhoneRoutes(app, routeDeps);
  registerCompromiseRoutes(app, routeDeps);
  registerReportRoutes(app, routeDeps);
  await app.register(async (api) => {
    registerDirectoryApi(api, routeDeps);
    registerCoverageApi(api, routeDeps);
    registerRecoveryApi(api, routeDeps);
    registerCompromiseApi(api, routeDeps);
    registerReportApi(api, routeDeps);
  }, { prefix: '/api/v1' });
  app.get('/api/docs', { config: { auth: 'none' }, schema: { hide: true } }, async () => app.swagger());
  return app;
}
