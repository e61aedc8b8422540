import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../platform/config/config.js';
import { hashSecret, SESSION_COOKIE } from './signin.js';
import type { SessionStage } from './signin.repo.js';

/** Sets the session cookie (at sign-in and whenever the session is renewed under a new id). */
export function setSessionCookie(reply: FastifyReply, config: Config, token: string): void {
  reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure: config.cookieSecure, path: '/' });
}

/**
 * After a command renewed the request's session (a stage change), sends the new cookie and
 * makes the rest of this response speak for the renewed session (its CSRF tokens are bound
 * to the new id). Nothing happens when the command did not renew it (`token` null).
 */
export function adoptRenewedSession(req: FastifyRequest, reply: FastifyReply, config: Config, token: string | null, stage: SessionStage): void {
  if (!token) return;
  setSessionCookie(reply, config, token);
  req.sessionId = hashSecret(token);
  req.sessionStage = stage;
}
