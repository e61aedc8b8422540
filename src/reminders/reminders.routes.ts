import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../platform/http/plugin.js';
import { Invalid, NotFound } from '../platform/errors/errors.js';
import { ctxOf, field, isId } from '../platform/http/ctx.js';
import { renderPage } from '../platform/http/render.js';
import { REMINDER_DAYS } from './reminders.js';
import { passwordPolicyFor, setPasswordLifetimeFor } from './reminders.commands.js';

/** Password lifetime per organisation: LAs of the organisation and platform admins change it; whoever may see the organisation reads it. */
export function registerReminderRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  app.get('/organisations/:id/password-expiry', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    const org = await passwordPolicyFor(db, ctxOf(req, clock.now()), id);
    return renderPage(req, reply, config, 'reminders/views/lifetime.njk', {
      org, value: org.lifetimeDays === null ? '' : String(org.lifetimeDays), marks: REMINDER_DAYS.join(', '), problems: [],
      flash: (req.query as Record<string, unknown>).saved ? { type: 'success', text: 'Password lifetime saved.' } : undefined,
    });
  });

  app.post('/organisations/:id/password-expiry', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    const ctx = ctxOf(req, clock.now());
    const value = field(req.body, 'lifetimeDays');
    try {
      await setPasswordLifetimeFor(db, ctx, id, value);
      return reply.redirect(`/organisations/${id}/password-expiry?saved=1`, 303);
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      const org = await passwordPolicyFor(db, ctx, id);
      reply.code(400);
      return renderPage(req, reply, config, 'reminders/views/lifetime.njk', {
        org, value, marks: REMINDER_DAYS.join(', '), problems: err.problems, errorList: err.problems.map((text) => ({ text, href: '#lifetimeDays' })),
      });
    }
  });
}
