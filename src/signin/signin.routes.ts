import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../platform/http/plugin.js';
import { safeNext } from '../platform/http/auth.js';
import { renderPage } from '../platform/http/render.js';
import { tryOrRerender } from '../platform/http/rerender.js';
import { DomainError } from '../platform/errors/errors.js';
import { ctxOf, field } from '../platform/http/ctx.js';
import { MIN_PASSWORD_LENGTH } from './password.js';
import { changeOwnPassword, SIGNIN_FAILED, signIn, signOut } from './signin.commands.js';
import { DEVICE_COOKIE, SESSION_COOKIE } from './signin.js';
import { setSessionCookie } from './session.cookie.js';
import { clearAnonymousSession } from '../platform/http/csrf.js';
import { randomBytes } from 'node:crypto';
import { hasSecurityQuestions } from '../recovery/questions.commands.js';
import { QUESTIONS_PROMPT_COOKIE } from '../recovery/questions.routes.js';

/** Sign-in, sign-out and password change pages. */
export function registerSigninRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  const deps = { policy: { idleMinutes: config.sessionIdleMinutes, absoluteHours: config.sessionAbsoluteHours }, secretKey: config.secretKey };

  app.get('/signin', { config: { auth: 'none' } }, async (req, reply) => {
    if (req.account && req.sessionStage === 'full') return reply.redirect('/', 303);
    if (!req.deviceId) {
      reply.setCookie(DEVICE_COOKIE, randomBytes(18).toString('base64url'), {
        httpOnly: true, sameSite: 'lax', secure: config.cookieSecure, path: '/', maxAge: 400 * 24 * 3600,
      });
    }
    return renderPage(req, reply, config, 'signin/views/signin.njk', { next: safeNext((req.query as Record<string, unknown>).next) });
  });

  app.post(
    '/signin',
    { config: { auth: 'none', rateLimit: { max: config.signinRateLimitPerMinute, timeWindow: 60_000 } } },
    async (req, reply) => {
      const email = field(req.body, 'email');
      const next = safeNext((req.query as Record<string, unknown>).next);
      try {
        const { token, account, stage } = await signIn(db, ctxOf(req, clock.now()), deps, {
          email, password: field(req.body, 'password'), userAgent: req.headers['user-agent'] ?? '', deviceId: req.deviceId, replacesSessionId: req.sessionId,
        });
        // A new session id at every stage: the pre-session and any session this browser held end here.
        setSessionCookie(reply, config, token);
        clearAnonymousSession(reply);
        // Without security questions, the first page after a complete sign-in asks for them (recovery/questions.routes.ts).
        if (await hasSecurityQuestions(db, account.id)) reply.clearCookie(QUESTIONS_PROMPT_COOKIE, { path: '/' });
        else reply.setCookie(QUESTIONS_PROMPT_COOKIE, '1', { httpOnly: true, sameSite: 'lax', secure: config.cookieSecure, path: '/' });
        if (stage === 'mfa') return reply.redirect(`/signin/verify${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`, 303);
        if (stage === 'enrol') return reply.redirect('/security/enrol', 303);
        return reply.redirect(account.mustChangePassword ? '/password/change' : next, 303);
      } catch (err) {
        if (!(err instanceof DomainError) || err.code !== 'unauthenticated') throw err;
        reply.code(401);
        return renderPage(req, reply, config, 'signin/views/signin.njk', { error: SIGNIN_FAILED, email, next });
      }
    },
  );

  app.post('/signout', { config: { allowPasswordChangePending: true, stages: ['mfa', 'enrol'] } }, async (req, reply) => {
    if (req.sessionId) await signOut(db, ctxOf(req, clock.now()), req.sessionId);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    clearAnonymousSession(reply);
    return reply.redirect('/signin', 303);
  });

  registerPasswordChange(app, { config, db, clock });
}

/** Changing one's own password (also the page a password that must change leads to). */
function registerPasswordChange(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  app.get('/password/change', { config: { allowPasswordChangePending: true } }, async (req, reply) =>
    renderPage(req, reply, config, 'signin/views/password-change.njk', { mustChange: req.account?.mustChangePassword, minLength: MIN_PASSWORD_LENGTH }),
  );

  app.post('/password/change', { config: { allowPasswordChangePending: true } }, async (req, reply) => tryOrRerender(reply, async () => {
    const token = await changeOwnPassword(db, ctxOf(req, clock.now()), req.sessionId!, {
      current: field(req.body, 'current'), next: field(req.body, 'next'), confirm: field(req.body, 'confirm'),
    });
    setSessionCookie(reply, config, token);
    return reply.redirect('/?changed=1', 303);
  }, (p) => renderPage(req, reply, config, 'signin/views/password-change.njk', {
    problems: p.problems, mustChange: req.account?.mustChangePassword, minLength: MIN_PASSWORD_LENGTH,
  }), { kinds: ['invalid'] }));
}
