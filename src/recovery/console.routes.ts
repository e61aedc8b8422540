import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../platform/http/plugin.js';
import { ctxOf, field, isId, queryParam } from '../platform/http/ctx.js';
import { renderPage } from '../platform/http/render.js';
import { tryOrRerender } from '../platform/http/rerender.js';
import { NotFound } from '../platform/errors/errors.js';
import { answerChallenge, consoleAccount, searchConsoleAccounts, startVerification } from './console.commands.js';
import { resetPassword } from './reset.commands.js';
import { passSecondFactor, sendVerificationSms, verificationView } from './second-factor.commands.js';
import { presentConsoleAccount, presentVerification } from './recovery.presenters.js';

function idParam(req: FastifyRequest): string {
  const { id } = req.params as { id: string };
  if (!isId(id)) throw new NotFound();
  return id;
}

const noStore = (reply: FastifyReply): FastifyReply => reply.header('cache-control', 'no-store');

/** The two pages a console request ends on, each loaded by its one command. */
function consolePages(app: FastifyInstance, { config, db, clock }: RouteDeps) {
  const compromiseUrl = (): string | null => (app.hasRoute({ method: 'GET', url: '/compromise' }) ? '/compromise' : null);
  return {
    async account(req: FastifyRequest, reply: FastifyReply, id: string, extra: Record<string, unknown> = {}): Promise<FastifyReply> {
      const v = await consoleAccount(db, ctxOf(req, clock.now()), config, id, req.sessionId);
      const left = Number(queryParam(req, 'left') ?? '0');
      noStore(reply);
      return renderPage(req, reply, config, 'recovery/views/console-account.njk', {
        ...presentConsoleAccount(v), compromiseUrl: compromiseUrl(), result: queryParam(req, 'result'), left: Number.isInteger(left) ? left : 0, ...extra,
      });
    },
    async verification(req: FastifyRequest, reply: FastifyReply, id: string, extra: Record<string, unknown> = {}): Promise<FastifyReply> {
      const view = await verificationView(db, ctxOf(req, clock.now()), config, id, req.sessionId);
      noStore(reply);
      return renderPage(req, reply, config, 'recovery/views/verification.njk', { ...presentVerification(view), sent: queryParam(req, 'sent') === '1', ...extra });
    },
  };
}

/**
 * The helpdesk and LA console pages. The web flow of a verification is the agent's
 * session: a verification started in one session cannot be used from another. Each
 * request runs one command; a refusal re-renders the page it came from with the problem.
 */
export function registerConsoleRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  const { account: accountPage } = consolePages(app, { config, db, clock });
  registerVerificationRoutes(app, { config, db, clock });

  app.get('/recovery', async (req, reply) => {
    const search = queryParam(req, 'q')?.slice(0, 100) ?? '';
    const accounts = await searchConsoleAccounts(db, ctxOf(req, clock.now()), search);
    return renderPage(req, reply, config, 'recovery/views/console.njk', { search, accounts });
  });

  app.get('/recovery/accounts/:id', async (req, reply) => accountPage(req, reply, idParam(req)));

  app.post('/recovery/accounts/:id/start', async (req, reply) => {
    const id = idParam(req);
    return tryOrRerender(reply, async () => {
      await startVerification(db, ctxOf(req, clock.now()), config, id);
      return reply.redirect(`/recovery/accounts/${id}#verification`, 303);
    }, (p) => accountPage(req, reply, id, { problems: p.problems }));
  });

  app.post('/recovery/accounts/:id/answer', async (req, reply) => {
    const id = idParam(req);
    return tryOrRerender(reply, async () => {
      const r = await answerChallenge(db, ctxOf(req, clock.now()), config, {
        accountId: id, challengeId: field(req.body, 'challengeId'), characters: [field(req.body, 'char1'), field(req.body, 'char2')], flow: req.sessionId,
      });
      if (r.passed) return reply.redirect(`/recovery/verifications/${r.verificationId}`, 303);
      return reply.redirect(`/recovery/accounts/${id}?result=failed&left=${r.attemptsLeft}`, 303);
    }, (p) => accountPage(req, reply, id, { problems: p.problems }));
  });

}

/** A verification under way: its page, the SMS code, the second check, and the reset it allows. */
function registerVerificationRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  const { verification: verificationPage } = consolePages(app, { config, db, clock });

  app.get('/recovery/verifications/:id', async (req, reply) => verificationPage(req, reply, idParam(req)));

  app.post('/recovery/verifications/:id/sms', async (req, reply) => {
    const id = idParam(req);
    return tryOrRerender(reply, async () => {
      await sendVerificationSms(db, ctxOf(req, clock.now()), config, { verificationId: id, flow: req.sessionId });
      return reply.redirect(`/recovery/verifications/${id}?sent=1`, 303);
    }, (p) => verificationPage(req, reply, id, { problems: p.problems }));
  });

  app.post('/recovery/verifications/:id/second-factor', async (req, reply) => {
    const id = idParam(req);
    const kind = field(req.body, 'kind') === 'sms' ? 'sms' : 'totp';
    return tryOrRerender(reply, async () => {
      const r = await passSecondFactor(db, ctxOf(req, clock.now()), config, { verificationId: id, flow: req.sessionId, kind, code: field(req.body, 'code') });
      if (r.passed) return reply.redirect(`/recovery/verifications/${id}`, 303);
      return reply.redirect(`/recovery/accounts/${r.accountId}?result=failed&left=${r.attemptsLeft}`, 303);
    }, (p) => verificationPage(req, reply, id, { problems: p.problems, problemHref: kind === 'sms' ? '#sms-code' : '#totp-code' }));
  });

  app.post('/recovery/verifications/:id/reset', async (req, reply) => {
    const id = idParam(req);
    const ticket = field(req.body, 'ticket');
    const delivery = field(req.body, 'delivery') === 'sms' ? 'sms' : 'shown';
    return tryOrRerender(reply, async () => {
      const done = await resetPassword(db, ctxOf(req, clock.now()), config, { verificationId: id, flow: req.sessionId, ticket, delivery });
      noStore(reply);
      return renderPage(req, reply, config, 'recovery/views/reset-done.njk', {
        temporaryPassword: done.temporaryPassword, ticket: done.ticket, email: done.account.email, mobileEnding: done.account.mobileEnding,
      });
    }, (p) => verificationPage(req, reply, id, { problems: p.problems, problemHref: p.kind === 'invalid' ? '#ticket' : '#main-action', ticket, delivery }));
  });
}
