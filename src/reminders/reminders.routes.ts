import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../platform/http/plugin.js';
import { NotFound } from '../platform/errors/errors.js';
import { ctxOf, field, isId } from '../platform/http/ctx.js';
import { renderPage } from '../platform/http/render.js';
import { tryOrRerender } from '../platform/http/rerender.js';
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
    return tryOrRerender(reply, async () => {
      await setPasswordLifetimeFor(db, ctx, id, value);
      return reply.redirect(`/organisations/${id}/password-expiry?saved=1`, 303);
    }, async (p) => {
      const org = await passwordPolicyFor(db, ctx, id);
      const problems = p.error.problems;
      return renderPage(req, reply, config, 'reminders/views/lifetime.njk', {
        org, value, marks: REMINDER_DAYS.join(', '), problems, errorList: problems.map((text) => ({ text, href: '#lifetimeDays' })),
      });
    }, { kinds: ['invalid'] });
  });
}
