import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import type { RouteDeps } from '../platform/http/plugin.js';
import { safeNext } from '../platform/http/auth.js';
import { ctxOf, field, isId, queryParam } from '../platform/http/ctx.js';
import { renderPage } from '../platform/http/render.js';
import { tryOrRerender } from '../platform/http/rerender.js';
import { NotFound } from '../platform/errors/errors.js';
import { MFA_REASON_TEXT } from './mfa.js';
import { adoptRenewedSession } from '../signin/session.cookie.js';
import {
  confirmTotpEnrolment, mfaOverview, pendingTotp, regenerateRecoveryCodes, removeFactor, startTotpEnrolment, verifyRecoveryCodeAtSignin, verifyTotpAtSignin,
} from './mfa.commands.js';

const enrolOrFull = { stages: ['enrol'] as const };

/** The Security page: the account's factors, new recovery codes, removing a factor. */
function registerSecurityPage(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  const keys = { secretKey: config.secretKey };

  async function security(req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}): Promise<FastifyReply> {
    const o = await mfaOverview(db, ctxOf(req, clock.now()));
    return renderPage(req, reply, config, 'mfa/views/security.njk', {
      ...o, reasonTexts: o.reasons.map((r) => MFA_REASON_TEXT[r]), removed: queryParam(req, 'removed') === '1', ...extra,
    });
  }

  app.get('/security', async (req, reply) => security(req, reply));

  app.post('/security/recovery-codes', async (req, reply) => {
    const codes = await regenerateRecoveryCodes(db, ctxOf(req, clock.now()), keys);
    return renderPage(req, reply, config, 'mfa/views/recovery-codes.njk', { codes, next: '/security', enrolled: false });
  });

  app.post('/security/factors/:id/remove', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    return tryOrRerender(reply, async () => {
      await removeFactor(db, ctxOf(req, clock.now()), keys, id);
      return reply.redirect('/security?removed=1', 303);
    }, (p) => security(req, reply, { problems: p.problems }), { kinds: ['conflict'] });
  });
}

/** Enrolment in an authenticator app (which an account that must use MFA cannot skip). */
function registerTotpEnrolment(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  const keys = { secretKey: config.secretKey };

  app.get('/security/enrol', { config: enrolOrFull }, async (req, reply) => {
    const o = await mfaOverview(db, ctxOf(req, clock.now()));
    return renderPage(req, reply, config, 'mfa/views/enrol.njk', { mustEnrol: req.sessionStage === 'enrol', reasonTexts: o.reasons.map((r) => MFA_REASON_TEXT[r]) });
  });

  async function totpPage(req: FastifyRequest, reply: FastifyReply, p: { factorId: string; secret: string; uri: string }, extra: Record<string, unknown> = {}): Promise<FastifyReply> {
    const qr = await QRCode.toDataURL(p.uri, { errorCorrectionLevel: 'M', margin: 1, scale: 5 });
    return renderPage(req, reply, config, 'mfa/views/totp-new.njk', {
      factorId: p.factorId, qr, secretGroups: p.secret.match(/.{1,4}/g)!.join(' '), mustEnrol: req.sessionStage === 'enrol', ...extra,
    });
  }

  app.get('/security/totp/new', { config: enrolOrFull }, async (req, reply) => totpPage(req, reply, await startTotpEnrolment(db, ctxOf(req, clock.now()), keys, config.serviceName)));

  app.post('/security/totp', { config: enrolOrFull }, async (req, reply) => {
    const ctx = ctxOf(req, clock.now());
    const factorId = field(req.body, 'factorId');
    if (!isId(factorId)) throw new NotFound();
    return tryOrRerender(reply, async () => {
      const { recoveryCodes, sessionToken } = await confirmTotpEnrolment(db, ctx, keys, { sessionId: req.sessionId!, factorId, code: field(req.body, 'code'), name: field(req.body, 'name') });
      adoptRenewedSession(req, reply, config, sessionToken, 'full');
      const next = req.account?.mustChangePassword ? '/password/change' : '/security';
      if (recoveryCodes) return renderPage(req, reply, config, 'mfa/views/recovery-codes.njk', { codes: recoveryCodes, next, enrolled: true });
      return reply.redirect(next, 303);
    }, async (problem) => {
      const p = await pendingTotp(db, ctx, keys, factorId, config.serviceName);
      if (!p) throw new NotFound();
      return totpPage(req, reply, p, { problems: problem.error.problems, name: field(req.body, 'name') });
    }, { kinds: ['invalid'] });
  });
}

/** The sign-in verification step (a code from the app, or a recovery code). */
function registerSigninVerify(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  const keys = { secretKey: config.secretKey };

  app.get('/signin/verify', { config: { stages: ['mfa'] } }, async (req, reply) => {
    if (req.sessionStage !== 'mfa') return reply.redirect('/', 303);
    const o = await mfaOverview(db, ctxOf(req, clock.now()));
    return renderPage(req, reply, config, 'mfa/views/verify.njk', {
      hasTotp: o.factors.some((f) => f.kind === 'totp'), hasWebauthn: o.factors.some((f) => f.kind === 'webauthn'), next: safeNext(queryParam(req, 'next')),
    });
  });

  app.post('/signin/verify', { config: { stages: ['mfa'], rateLimit: { max: config.signinRateLimitPerMinute, timeWindow: 60_000 } } }, async (req, reply) => {
    if (req.sessionStage !== 'mfa') return reply.redirect('/', 303);
    const ctx = ctxOf(req, clock.now());
    const input = { sessionId: req.sessionId!, userAgent: req.headers['user-agent'] ?? '', deviceId: req.deviceId };
    const recovery = field(req.body, 'recoveryCode');
    const { ok, sessionToken } = recovery
      ? await verifyRecoveryCodeAtSignin(db, ctx, keys, { ...input, code: recovery })
      : await verifyTotpAtSignin(db, ctx, keys, { ...input, code: field(req.body, 'code') });
    const next = safeNext(queryParam(req, 'next'));
    adoptRenewedSession(req, reply, config, sessionToken, 'full');
    if (ok) return reply.redirect(req.account?.mustChangePassword ? '/password/change' : next, 303);
    const o = await mfaOverview(db, ctx);
    reply.code(401);
    return renderPage(req, reply, config, 'mfa/views/verify.njk', {
      hasTotp: o.factors.some((f) => f.kind === 'totp'), hasWebauthn: o.factors.some((f) => f.kind === 'webauthn'), next,
      problems: [recovery ? 'That recovery code is not valid or has been used.' : 'Enter the current 6-digit code from your authenticator app. A code can be used only once.'],
      showRecovery: Boolean(recovery),
    });
  });
}

/** The Security page, enrolment (which an account that must use MFA cannot skip), and the sign-in verification step. */
export function registerMfaRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  registerSecurityPage(app, { config, db, clock });
  registerTotpEnrolment(app, { config, db, clock });
  registerSigninVerify(app, { config, db, clock });
}
