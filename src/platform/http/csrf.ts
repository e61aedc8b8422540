import { createHmac, randomBytes } from 'node:crypto';
import csrf from '@fastify/csrf-protection';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/config.js';

/**
 * CSRF protection bound to the session. The secret still travels in a signed cookie
 * (double submit), but every token is an HMAC over the secret *and* the session it was
 * minted for: the signed-in session's id, or, before sign-in, an anonymous pre-session
 * cookie. So a token (and its cookie) taken from another browser, from before sign-in,
 * or from a session since renewed or ended is refused with 403.
 */

/** The anonymous pre-session cookie: binds the CSRF tokens of forms shown before sign-in. */
export const ANON_COOKIE = 'pw_anon';
const ANON_VALUE = /^[A-Za-z0-9_-]{43}$/;

function anonymousId(req: FastifyRequest): string | null {
  const v = req.cookies[ANON_COOKIE];
  return v && ANON_VALUE.test(v) ? v : null;
}

/** What a request's tokens are bound to: its session, else its anonymous pre-session ('' when it has neither). */
export function csrfBinding(req: FastifyRequest): string {
  if (req.sessionId) return `session:${req.sessionId}`;
  const anon = anonymousId(req);
  return anon ? `anonymous:${anon}` : '';
}

/**
 * A CSRF token for a form on this response, bound to the request's session. A request
 * with neither a session nor a pre-session gets a new pre-session cookie first.
 */
export function csrfTokenFor(req: FastifyRequest, reply: FastifyReply, config: Config): string {
  if (!req.sessionId && !anonymousId(req)) {
    const value = randomBytes(32).toString('base64url');
    reply.setCookie(ANON_COOKIE, value, { httpOnly: true, sameSite: 'strict', secure: config.cookieSecure, path: '/' });
    req.cookies[ANON_COOKIE] = value; // later tokens of this response use the same pre-session
  }
  return reply.generateCsrf({ userInfo: csrfBinding(req) });
}

/** Ends the anonymous pre-session (at sign-in and sign-out), so the next one is new. */
export function clearAnonymousSession(reply: FastifyReply): void {
  reply.clearCookie(ANON_COOKIE, { path: '/' });
}

/**
 * Registers the CSRF plugin and checks it on every state-changing portal request (a
 * preHandler, so the form body is parsed, and after the auth hook has found the session).
 * The API (bearer tokens, cookies ignored) and requests that match no route (a 404,
 * nothing changes) are not checked.
 */
export async function registerCsrf(app: FastifyInstance, config: Config, cookieSecret: Buffer): Promise<void> {
  await app.register(csrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: 'pw_csrf',
    cookieOpts: { signed: true, httpOnly: true, sameSite: 'strict', secure: config.cookieSecure, path: '/' },
    getToken: (req) => (req.body as Record<string, string> | undefined)?._csrf ?? (req.headers['x-csrf-token'] as string | undefined),
    getUserInfo: (req) => csrfBinding(req),
    csrfOpts: { hmacKey: createHmac('sha256', cookieSecret).update('csrf-binding').digest() },
  });
  app.addHook('preHandler', (req, reply, done) => {
    const auth = req.routeOptions.config?.auth ?? 'session';
    if (!req.routeOptions.url || auth === 'token' || ['GET', 'HEAD', 'OPTIONS'].includes(req.method)) return done();
    app.csrfProtection(req, reply, done);
  });
}
