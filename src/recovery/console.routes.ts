import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../platform/http/plugin.js';
import { ctxOf, field, isId, queryParam } from '../platform/http/ctx.js';
import { renderPage } from '../platform/http/render.js';
import { Conflict, DomainError, Invalid, NotFound, RateLimited } from '../platform/errors/errors.js';
import { answerChallenge, consoleAccount, type ConsoleAccountView, searchConsoleAccounts, startVerification } from './console.commands.js';
import { resetPassword } from './reset.commands.js';
import { passSecondFactor, sendVerificationSms, verificationView } from './second-factor.commands.js';
import { mobileEnding } from './recovery.js';
import { clockTime } from './verification.commands.js';

const SECOND_CHECK_TEXT = { totp: 'a code from their authenticator app', sms: 'a code sent by text message' } as const;

function idParam(req: FastifyRequest): string {
  const { id } = req.params as { id: string };
  if (!isId(id)) throw new NotFound();
  return id;
}

/** A refusal the page shows in place (409 conflict, 400 invalid, 429 locked); anything else propagates. */
function shownProblem(err: unknown): { status: number; problems: string[] } | null {
  if (err instanceof Invalid) return { status: 400, problems: err.problems.length ? [...err.problems] : [err.message] };
  if (err instanceof Conflict) return { status: 409, problems: [err.message] };
  if (err instanceof RateLimited) return { status: 429, problems: [err.message] };
  return null;
}

/**
 * The helpdesk and LA console pages. The web flow of a verification is the agent's
 * session: a verification started in one session cannot be used from another.
 */
export function registerConsoleRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  const noStore = (reply: FastifyReply): FastifyReply => reply.header('cache-control', 'no-store');
  const compromiseUrl = (): string | null => (app.hasRoute({ method: 'GET', url: '/compromise' }) ? '/compromise' : null);

  app.get('/recovery', async (req, reply) => {
    const search = queryParam(req, 'q')?.slice(0, 100) ?? '';
    const accounts = await searchConsoleAccounts(db, ctxOf(req, clock.now()), search);
    return renderPage(req, reply, config, 'recovery/views/console.njk', { search, accounts });
  });

  async function accountPage(req: FastifyRequest, reply: FastifyReply, id: string, extra: Record<string, unknown> = {}): Promise<FastifyReply> {
    const v: ConsoleAccountView = await consoleAccount(db, ctxOf(req, clock.now()), config, id, req.sessionId);
    const checks = v.secondFactorOptions.map((o) => SECOND_CHECK_TEXT[o]);
    const left = Number(queryParam(req, 'left') ?? '0');
    noStore(reply);
    return renderPage(req, reply, config, 'recovery/views/console-account.njk', {
      v, compromiseUrl: compromiseUrl(), lockedText: v.lockedUntil ? clockTime(v.lockedUntil) : '',
      secondCheck: v.referral ? '–' : checks.length ? `Required: ${checks.join(' or ')}` : 'Not required (no MFA, no UK mobile, no administrative role)',
      result: queryParam(req, 'result'), left: Number.isInteger(left) ? left : 0, ...extra,
    });
  }

  app.get('/recovery/accounts/:id', async (req, reply) => accountPage(req, reply, idParam(req)));

  app.post('/recovery/accounts/:id/start', async (req, reply) => {
    const id = idParam(req);
    try {
      await startVerification(db, ctxOf(req, clock.now()), config, id);
    } catch (err) {
      const p = shownProblem(err);
      if (!p) throw err;
      reply.code(p.status);
      return accountPage(req, reply, id, { problems: p.problems });
    }
    return reply.redirect(`/recovery/accounts/${id}#verification`, 303);
  });

  app.post('/recovery/accounts/:id/answer', async (req, reply) => {
    const id = idParam(req);
    try {
      const r = await answerChallenge(db, ctxOf(req, clock.now()), config, {
        accountId: id, challengeId: field(req.body, 'challengeId'), characters: [field(req.body, 'char1'), field(req.body, 'char2')], flow: req.sessionId,
      });
      if (r.passed) return reply.redirect(`/recovery/verifications/${r.verificationId}`, 303);
      return reply.redirect(`/recovery/accounts/${id}?result=failed&left=${r.attemptsLeft}`, 303);
    } catch (err) {
      const p = shownProblem(err);
      if (!p) throw err;
      reply.code(p.status);
      return accountPage(req, reply, id, { problems: p.problems });
    }
  });

  async function verificationPage(req: FastifyRequest, reply: FastifyReply, id: string, extra: Record<string, unknown> = {}): Promise<FastifyReply> {
    const view = await verificationView(db, ctxOf(req, clock.now()), config, id, req.sessionId);
    noStore(reply);
    return renderPage(req, reply, config, 'recovery/views/verification.njk', { view, expiresText: clockTime(view.verification.expiresAt), sent: queryParam(req, 'sent') === '1', ...extra });
  }

  app.get('/recovery/verifications/:id', async (req, reply) => verificationPage(req, reply, idParam(req)));

  app.post('/recovery/verifications/:id/sms', async (req, reply) => {
    const id = idParam(req);
    try {
      await sendVerificationSms(db, ctxOf(req, clock.now()), config, { verificationId: id, flow: req.sessionId });
      return reply.redirect(`/recovery/verifications/${id}?sent=1`, 303);
    } catch (err) {
      const p = shownProblem(err);
      if (!p) throw err;
      reply.code(p.status);
      return verificationPage(req, reply, id, { problems: p.problems });
    }
  });

  app.post('/recovery/verifications/:id/second-factor', async (req, reply) => {
    const id = idParam(req);
    const kind = field(req.body, 'kind') === 'sms' ? 'sms' : 'totp';
    try {
      const r = await passSecondFactor(db, ctxOf(req, clock.now()), config, { verificationId: id, flow: req.sessionId, kind, code: field(req.body, 'code') });
      if (r.passed) return reply.redirect(`/recovery/verifications/${id}`, 303);
      const view = await verificationView(db, ctxOf(req, clock.now()), config, id, req.sessionId);
      return reply.redirect(`/recovery/accounts/${view.target.account.id}?result=failed&left=${r.attemptsLeft}`, 303);
    } catch (err) {
      const p = shownProblem(err);
      if (!p) throw err;
      reply.code(p.status);
      return verificationPage(req, reply, id, { problems: p.problems, problemHref: kind === 'sms' ? '#sms-code' : '#totp-code' });
    }
  });

  app.post('/recovery/verifications/:id/reset', async (req, reply) => {
    const id = idParam(req);
    const ticket = field(req.body, 'ticket');
    const delivery = field(req.body, 'delivery') === 'sms' ? 'sms' : 'shown';
    try {
      const ctx = ctxOf(req, clock.now());
      const done = await resetPassword(db, ctx, config, { verificationId: id, flow: req.sessionId, ticket, delivery });
      const view = await verificationView(db, ctx, config, id, req.sessionId);
      noStore(reply);
      return renderPage(req, reply, config, 'recovery/views/reset-done.njk', {
        temporaryPassword: done.temporaryPassword, ticket: ticket.trim(), email: view.target.account.email, mobileEnding: mobileEnding(view.target.account.mobile),
      });
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const p = shownProblem(err);
      if (!p) throw err;
      reply.code(p.status);
      return verificationPage(req, reply, id, { problems: p.problems, problemHref: err instanceof Invalid ? '#ticket' : '#main-action', ticket, delivery });
    }
  });
}
