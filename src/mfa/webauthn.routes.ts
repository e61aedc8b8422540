import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../platform/http/plugin.js';
import { safeNext } from '../platform/http/auth.js';
import { ctxOf, field, isId, queryParam } from '../platform/http/ctx.js';
import { renderPage } from '../platform/http/render.js';
import { tryOrRerender } from '../platform/http/rerender.js';
import { Invalid } from '../platform/errors/errors.js';
import { mfaOverview } from './mfa.commands.js';
import { parseCredentialField, relyingPartyOf } from './webauthn.js';
import { adoptRenewedSession } from '../signin/session.cookie.js';
import {
  finishWebauthnRegistration, ownWebauthnKey, renameWebauthnKey, startWebauthnRegistration, startWebauthnSignin, verifyWebauthnAtSignin,
} from './webauthn.commands.js';

/** Adding a security key or passkey, and renaming one. */
function registerKeyEnrolment(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  const keys = { secretKey: config.secretKey };
  const rp = relyingPartyOf(config.publicUrl, config.serviceName);
  const enrolOrFull = { stages: ['enrol'] as const };

  async function newKeyPage(req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}): Promise<FastifyReply> {
    return renderPage(req, reply, config, 'mfa/views/webauthn-new.njk', { mustEnrol: req.sessionStage === 'enrol', ...extra });
  }

  app.get('/security/webauthn/new', { config: enrolOrFull }, async (req, reply) => newKeyPage(req, reply));

  app.post('/security/webauthn/options', { config: enrolOrFull }, async (req, reply) => {
    const options = await startWebauthnRegistration(db, ctxOf(req, clock.now()), { sessionId: req.sessionId!, rp, displayName: req.account?.displayName ?? '' });
    return reply.header('cache-control', 'no-store').send(options);
  });

  app.post('/security/webauthn', { config: enrolOrFull }, async (req, reply) => {
    const wasEnrolling = req.sessionStage === 'enrol';
    const name = field(req.body, 'name');
    return tryOrRerender(reply, async () => {
      const response = parseCredentialField(field(req.body, 'credential'));
      const { recoveryCodes, sessionToken } = await finishWebauthnRegistration(db, ctxOf(req, clock.now()), keys, { sessionId: req.sessionId!, rp, response, name });
      adoptRenewedSession(req, reply, config, sessionToken, 'full');
      // An account made to enrol goes on to what it came for; one adding a key goes back to Security.
      const next = req.account?.mustChangePassword ? '/password/change' : wasEnrolling ? '/' : '/security';
      if (recoveryCodes) return renderPage(req, reply, config, 'mfa/views/recovery-codes.njk', { codes: recoveryCodes, next, enrolled: true });
      return reply.redirect(next, 303);
    }, (p) => {
      if (p.kind === 'invalid') req.log.info({ reason: p.error.message }, 'webauthn registration refused');
      return newKeyPage(req, reply, { problems: p.problems, name });
    }, { kinds: ['invalid', 'conflict'] });
  });

  app.get('/security/webauthn/:id/rename', async (req, reply) => {
    const { id } = req.params as { id: string };
    const key = await ownWebauthnKey(db, ctxOf(req, clock.now()), isId(id) ? id : '');
    return renderPage(req, reply, config, 'mfa/views/webauthn-rename.njk', { key, name: key.name });
  });

  app.post('/security/webauthn/:id/rename', async (req, reply) => {
    const { id } = req.params as { id: string };
    const ctx = ctxOf(req, clock.now());
    const key = await ownWebauthnKey(db, ctx, isId(id) ? id : '');
    return tryOrRerender(reply, async () => {
      await renameWebauthnKey(db, ctx, key.id, field(req.body, 'name'));
      return reply.redirect('/security', 303);
    }, (p) => renderPage(req, reply, config, 'mfa/views/webauthn-rename.njk', { key, name: field(req.body, 'name'), problems: p.error.problems }), { kinds: ['invalid'] });
  });
}

/**
 * Security keys and passkeys over HTTP. The browser module (assets/webauthn.js) fetches
 * options as JSON (CSRF token in the x-csrf-token header), asks the authenticator, then
 * submits the credential as a hidden field of an ordinary form. So the results (recovery
 * codes, errors, the next page) are server-rendered pages, and codes never travel in a URL.
 */
export function registerWebauthnRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  const rp = relyingPartyOf(config.publicUrl, config.serviceName);
  registerKeyEnrolment(app, { config, db, clock });

  app.post('/signin/webauthn/options', { config: { stages: ['mfa'] } }, async (req, reply) => {
    // 'full' sessions pass the stage gate (it only holds pending ones back), so refuse them here.
    if (req.sessionStage !== 'mfa') return reply.code(409).send({ error: 'conflict', message: 'This session has already passed sign-in.' });
    const options = await startWebauthnSignin(db, ctxOf(req, clock.now()), { sessionId: req.sessionId!, rp });
    return reply.header('cache-control', 'no-store').send(options);
  });

  app.post('/signin/webauthn', { config: { stages: ['mfa'], rateLimit: { max: config.signinRateLimitPerMinute, timeWindow: 60_000 } } }, async (req, reply) => {
    if (req.sessionStage !== 'mfa') return reply.redirect('/', 303);
    const ctx = ctxOf(req, clock.now());
    const next = safeNext(queryParam(req, 'next'));
    let problem: string;
    let status: number;
    try {
      const response = parseCredentialField(field(req.body, 'credential'));
      const { ok, refusal, sessionToken } = await verifyWebauthnAtSignin(db, ctx, { sessionId: req.sessionId!, rp, response, userAgent: req.headers['user-agent'] ?? '', deviceId: req.deviceId });
      adoptRenewedSession(req, reply, config, sessionToken, 'full');
      if (ok) return reply.redirect(req.account?.mustChangePassword ? '/password/change' : next, 303);
      req.log.info({ refusal }, 'webauthn sign-in refused');
      problem = refusal === 'no-challenge' ? 'The request to your security key expired. Try again.' : 'Your security key was not accepted. Try again, or use another way to confirm it is you.';
      status = 401;
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      problem = err.problems[0] ?? err.message;
      status = 400;
    }
    const o = await mfaOverview(db, ctx);
    reply.code(status);
    return renderPage(req, reply, config, 'mfa/views/verify.njk', {
      hasTotp: o.factors.some((f) => f.kind === 'totp'), hasWebauthn: o.factors.some((f) => f.kind === 'webauthn'), next, webauthnProblems: [problem],
    });
  });
}
