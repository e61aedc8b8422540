import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../platform/http/plugin.js';
import { ctxOf, isId, queryParam } from '../platform/http/ctx.js';
import { renderPage } from '../platform/http/render.js';
import { tryOrRerender } from '../platform/http/rerender.js';
import { NotFound } from '../platform/errors/errors.js';
import { listOwnSessions, listOwnSigninHistory, revokeAllAccountSessionsFor, revokeOtherOwnSessions, revokeOwnSession } from './sessions.commands.js';

/** Session ids are SHA-256 hex of the cookie value; anything else is simply a 404. */
const SESSION_ID = /^[0-9a-f]{64}$/;

/** Your sessions and sign-in history; "sign out everywhere" for LAs and admins. */
export function registerSessionRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  const idleMinutes = config.sessionIdleMinutes;

  async function page(req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}): Promise<FastifyReply> {
    const ctx = ctxOf(req, clock.now());
    const sessions = await listOwnSessions(db, ctx, { currentSessionId: req.sessionId!, idleMinutes });
    const history = await listOwnSigninHistory(db, ctx);
    return renderPage(req, reply, config, 'signin/views/sessions.njk', {
      sessions, others: sessions.filter((s) => !s.current).length, history, ...extra,
    });
  }

  app.get('/security/sessions', async (req, reply) => {
    // A banner after a redirect: "one" session ended, or how many "others" were.
    const ended = queryParam(req, 'ended');
    return page(req, reply, { endedOne: ended === 'one', endedOthers: ended && /^\d{1,6}$/.test(ended) ? Number(ended) : undefined });
  });

  app.post('/security/sessions/:id/revoke', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!SESSION_ID.test(id)) throw new NotFound();
    return tryOrRerender(reply, async () => {
      await revokeOwnSession(db, ctxOf(req, clock.now()), { currentSessionId: req.sessionId!, sessionId: id, idleMinutes });
      return reply.redirect('/security/sessions?ended=one', 303);
    }, (p) => page(req, reply, { problems: [p.error.message] }), { kinds: ['invalid'] });
  });

  app.post('/security/sessions/revoke-others', async (req, reply) => {
    const count = await revokeOtherOwnSessions(db, ctxOf(req, clock.now()), req.sessionId!);
    return reply.redirect(`/security/sessions?ended=${count}`, 303);
  });

  app.post('/accounts/:id/sessions/revoke', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    const r = await revokeAllAccountSessionsFor(db, ctxOf(req, clock.now()), id);
    return reply.redirect(`/accounts/${id}?revoked=${r.sessions}-${r.tokens}`, 303);
  });
}
