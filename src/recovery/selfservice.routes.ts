import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../platform/http/plugin.js';
import { ctxOf, field } from '../platform/http/ctx.js';
import { renderPage } from '../platform/http/render.js';
import { Invalid, RateLimited } from '../platform/errors/errors.js';
import { finishSelfService, selfServiceChallengeOf, startSelfService } from './selfservice.commands.js';

/**
 * Self-service reset from the sign-in page. Public (no session), rate-limited per client
 * address; the commands refuse (429) an address typed or a client that has failed too often;
 * and every answer takes at least `recoverySelfServiceFloorMs` of wall time so
 * that the response time does not say whether an account exists or matched.
 */
export function registerSelfServiceRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  const limited = { auth: 'none' as const, rateLimit: { max: config.recoverySelfServiceRateLimitPerMinute, timeWindow: 60_000 } };
  const floor = async (started: number): Promise<void> => {
    const left = config.recoverySelfServiceFloorMs - (performance.now() - started);
    if (left > 0) await sleep(left);
  };

  app.get('/password/forgotten', { config: { auth: 'none' } }, async (req, reply) =>
    renderPage(req, reply, config, 'recovery/views/forgotten.njk', {}),
  );

  app.post('/password/forgotten', { config: limited }, async (req, reply) => {
    const started = performance.now();
    const email = field(req.body, 'email').slice(0, 320);
    try {
      const c = await startSelfService(db, ctxOf(req, clock.now()), config, { email, mobileLast4: field(req.body, 'mobileLast4').slice(0, 20) });
      await floor(started);
      reply.header('cache-control', 'no-store');
      return renderPage(req, reply, config, 'recovery/views/forgotten-challenge.njk', { flow: c.flow, items: c.items });
    } catch (err) {
      if (err instanceof RateLimited) await floor(started);
      if (!(err instanceof Invalid)) throw err;
      await floor(started);
      reply.code(400);
      return renderPage(req, reply, config, 'recovery/views/forgotten.njk', { problems: err.problems, email });
    }
  });

  app.post('/password/forgotten/answer', { config: limited }, async (req, reply) => {
    const started = performance.now();
    const flow = field(req.body, 'flow').slice(0, 8192);
    const ctx = ctxOf(req, clock.now());
    try {
      await finishSelfService(db, ctx, config, { flow, characters: [field(req.body, 'char1'), field(req.body, 'char2')], code: field(req.body, 'code').slice(0, 20) });
      await floor(started);
      return renderPage(req, reply, config, 'recovery/views/forgotten-done.njk', {});
    } catch (err) {
      if (err instanceof RateLimited) await floor(started);
      if (!(err instanceof Invalid)) throw err;
      await floor(started);
      reply.code(400);
      try {
        const c = selfServiceChallengeOf(config, flow, ctx.now);
        return renderPage(req, reply, config, 'recovery/views/forgotten-challenge.njk', { flow: c.flow, items: c.items, problems: err.problems });
      } catch (expired) {
        if (!(expired instanceof Invalid)) throw expired;
        return renderPage(req, reply, config, 'recovery/views/forgotten.njk', { problems: ['This page has expired. Start again.'] });
      }
    }
  });
}
