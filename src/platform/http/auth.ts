import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import { Unauthenticated } from '../errors/errors.js';
import type { Authenticator } from './plugin.js';

/**
 * Authentication for every route, by its `config.auth`:
 * - 'session' (default): portal pages; a live session cookie, else redirect to /signin.
 *   An account that must change its password reaches only the change page and sign-out.
 * - 'token': the JSON API; `Authorization: Bearer pwt_…` only. Cookies are ignored, so
 *   the API cannot be driven cross-site by a browser (no CSRF surface).
 * - 'none': public routes (sign-in page, health, assets).
 * Sessions and tokens are looked up by the `Authenticator` (the signin capability's).
 */
export function registerAuth(app: FastifyInstance, deps: { clock: Clock; authenticator: Authenticator }): void {
  const auth = deps.authenticator;
  app.decorateRequest('actor', null);
  app.decorateRequest('account', null);
  app.decorateRequest('sessionId', null);
  app.decorateRequest('sessionStage', null);
  app.decorateRequest('deviceId', null);

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.url.startsWith('/assets/')) return; // static files: public, no session lookup
    const mode = req.routeOptions.config?.auth ?? 'session';
    if (mode === 'token') {
      const header = req.headers.authorization ?? '';
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      const actor = m ? await auth.bearer(m[1]!, deps.clock.now()) : null;
      if (!actor) {
        reply.header('www-authenticate', 'Bearer');
        throw new Unauthenticated('A valid API token is required: Authorization: Bearer <token>');
      }
      req.actor = actor;
      return;
    }
    const device = req.cookies[auth.deviceCookie];
    req.deviceId = device && /^[A-Za-z0-9_-]{16,64}$/.test(device) ? device : null;
    const cookie = req.cookies[auth.sessionCookie];
    const resolved = cookie ? await auth.session(cookie, deps.clock.now()) : null;
    if (resolved) {
      if (resolved.renewedToken) auth.setSessionCookie(reply, resolved.renewedToken); // privileges changed: a new id
      req.actor = resolved.actor;
      req.account = resolved.account;
      req.sessionId = resolved.sessionId;
      req.sessionStage = resolved.stage;
    }
    if (mode === 'none' || !req.routeOptions.url) return;
    if (!resolved) {
      if (cookie) reply.clearCookie(auth.sessionCookie, { path: '/' });
      const next = req.method === 'GET' ? `?next=${encodeURIComponent(req.url)}` : '';
      return reply.redirect(`/signin${next}`, 303);
    }
    // A half-signed-in session (factor to pass, or enrolment owed) reaches only its own pages.
    if (resolved.stage !== 'full') {
      if (req.routeOptions.config?.stages?.includes(resolved.stage)) return;
      return reply.redirect(resolved.stage === 'mfa' ? '/signin/verify' : '/security/enrol', 303);
    }
    if (resolved.account.mustChangePassword && !req.routeOptions.config?.allowPasswordChangePending) {
      return reply.redirect('/password/change', 303);
    }
  });
}

/** A same-site relative path to return to after sign-in; anything else becomes '/'. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) && !next.startsWith('/signin') ? next : '/';
}
