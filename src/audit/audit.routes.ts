import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../platform/http/plugin.js';
import { ctxOf, queryParam } from '../platform/http/ctx.js';
import { renderPage } from '../platform/http/render.js';
import { listAuditEvents } from './audit.commands.js';

const PAGE = 50;

/** The audit log page: newest first, limited to the organisations the actor may audit. */
export function registerAuditRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  app.get('/audit', async (req, reply) => {
    const before = Number(queryParam(req, 'before'));
    const action = queryParam(req, 'action')?.slice(0, 60);
    const events = await listAuditEvents(db, ctxOf(req, clock.now()), {
      beforeSeq: Number.isSafeInteger(before) && before > 0 ? before : undefined, action, limit: PAGE + 1,
    });
    const more = events.length > PAGE;
    const page = events.slice(0, PAGE);
    return renderPage(req, reply, config, 'audit/views/audit.njk', {
      events: page, action, nextBefore: more ? page[page.length - 1]!.seq : undefined,
    });
  });
}
