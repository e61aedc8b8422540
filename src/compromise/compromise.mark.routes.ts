import type { FastifyInstance } from 'fastify';
import { Conflict, Invalid, NotFound } from '../platform/errors/errors.js';
import type { RouteDeps } from '../platform/http/plugin.js';
import { ctxOf, field, isId, queryParam } from '../platform/http/ctx.js';
import { renderPage } from '../platform/http/render.js';
import { tryOrRerender } from '../platform/http/rerender.js';
import { dismissSuspicionFor, getSuspicionFor, listSuspicionsFor, markCompromised, markFormFor, openCaseIdOfEmailFor } from './compromise.commands.js';
import { authorizeMark } from './compromise.policy.js';

/** Marking accounts compromised and the CSOC's review queue of suspicions (CSOC and platform admins). */
export function registerCompromiseMarkRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  registerSuspicionRoutes(app, { config, db, clock });

  app.get('/compromise/mark', async (req, reply) => {
    const ctx = ctxOf(req, clock.now());
    authorizeMark(ctx.actor); // a form nobody else may open is Forbidden before its parameters are looked at
    const accountId = queryParam(req, 'account');
    const suspicionId = queryParam(req, 'suspicion');
    if ((accountId !== undefined && !isId(accountId)) || (suspicionId !== undefined && !isId(suspicionId))) throw new NotFound();
    return renderPage(req, reply, config, 'compromise/views/mark.njk', await markFormFor(db, ctx, { accountId, suspicionId }));
  });

  app.post('/compromise/mark', async (req, reply) => {
    const ctx = ctxOf(req, clock.now());
    const values = {
      email: field(req.body, 'email').trim(), reason: field(req.body, 'reason'), evidenceRef: field(req.body, 'evidenceRef'), suspicionId: field(req.body, 'suspicionId'),
      invalidatePassword: field(req.body, 'invalidatePassword') === 'yes',
    };
    if (values.suspicionId && !isId(values.suspicionId)) throw new NotFound();
    try {
      if (!values.email) throw new Invalid('The account was not marked compromised.', ['Enter the email address of the account.']);
      const r = await markCompromised(db, ctx, config, {
        email: values.email, reason: values.reason, evidenceRef: values.evidenceRef, suspicionId: values.suspicionId || undefined, invalidatePassword: values.invalidatePassword,
      });
      return reply.redirect(`/compromise/cases/${r.caseId}?opened=${r.sessions}-${r.tokens}`, 303);
    } catch (err) {
      if (!(err instanceof Invalid) && !(err instanceof Conflict) && !(err instanceof NotFound && err.message !== 'Not found')) throw err;
      authorizeMark(ctx.actor);
      let existingCase: string | undefined;
      if (err instanceof Conflict) existingCase = await openCaseIdOfEmailFor(db, ctx, values.email);
      reply.code(err instanceof Conflict ? 409 : 400);
      const problems = err instanceof Invalid ? err.problems : [err.message];
      return renderPage(req, reply, config, 'compromise/views/mark.njk', {
        values, existingCase,
        errorList: problems.map((text) => ({ text, href: /reason/i.test(text) ? '#reason' : /evidence/i.test(text) ? '#evidenceRef' : '#email' })),
      });
    }
  });

}

/** The CSOC's review queue of suspicions, and dismissing one. */
function registerSuspicionRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  app.get('/compromise/suspected', async (req, reply) => {
    const suspicions = await listSuspicionsFor(db, ctxOf(req, clock.now()));
    return renderPage(req, reply, config, 'compromise/views/suspected.njk', { suspicions, dismissed: queryParam(req, 'dismissed') === '1' });
  });

  app.get('/compromise/suspected/:id/dismiss', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    const suspicion = await getSuspicionFor(db, ctxOf(req, clock.now()), id);
    return renderPage(req, reply, config, 'compromise/views/dismiss.njk', { suspicion, values: { note: '' } });
  });

  app.post('/compromise/suspected/:id/dismiss', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    const ctx = ctxOf(req, clock.now());
    const note = field(req.body, 'note');
    return tryOrRerender(reply, async () => {
      await dismissSuspicionFor(db, ctx, id, note);
      return reply.redirect('/compromise/suspected?dismissed=1', 303);
    }, async (p) => renderPage(req, reply, config, 'compromise/views/dismiss.njk', { suspicion: await getSuspicionFor(db, ctx, id), values: { note }, problems: p.error.problems }), { kinds: ['invalid'] });
  });
}
