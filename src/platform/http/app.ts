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
import type { Clock } from '../clock.js';
import type { Config } from '../config/config.js';
import type { Db } from '../db/db.js';
import type { Logger } from '../log/log.js';
import { publicAssetsDir, viewPaths } from '../paths.js';
import { registerAuth } from './auth.js';
import { registerCsrf } from './csrf.js';
import { registerErrorHandling } from './errors.js';
import { registerHealthRoutes } from './health.routes.js';
import { authenticatorOf, capabilitiesOf, type CapabilityPlugin, type RouteDeps } from './plugin.js';
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
 * Builds the portal and API from the capability plugins (the list is in main/plugins.ts):
 * each plugin's routes on the portal, its API under /api/v1, its links and dashboard tasks
 * on `app.capabilities`. Nothing listens yet: `serve` calls listen(), tests use inject().
 */
export async function buildApp(deps: AppDeps, plugins: readonly CapabilityPlugin[]): Promise<FastifyInstance> {
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

  const routeDeps: RouteDeps = { config, db, clock };
  registerAuth(app, { clock, authenticator: authenticatorOf(plugins, routeDeps) });
  registerErrorHandling(app, config);
  registerHealthRoutes(app, db);
  app.decorate('capabilities', capabilitiesOf(plugins));
  // On the app itself, not in an encapsulated scope: a plugin's hooks apply as they always have.
  for (const p of plugins) p.routes?.(app, routeDeps);
  await app.register(async (api) => {
    for (const p of plugins) p.api?.(api, routeDeps);
  }, { prefix: '/api/v1' });
  app.get('/api/docs', { config: { auth: 'none' }, schema: { hide: true } }, async () => app.swagger());
  return app;
}
