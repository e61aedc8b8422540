import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../platform/http/plugin.js';
import { ctxOf, isId, queryParam } from '../platform/http/ctx.js';
import { renderPage } from '../platform/http/render.js';
import { NotFound } from '../platform/errors/errors.js';
import { type NextHop, openNextHop } from '../platform/smtp/nexthop.js';
import { type QuarantineStatusFilter, deleteQuarantine, getQuarantineFor, listQuarantineFor, releaseQuarantine } from './gateway.commands.js';
import { mailRoot } from './gateway.service.js';

const PAGE = 50;
const STATUSES: readonly QuarantineStatusFilter[] = ['held', 'released', 'deleted', 'all'];
const REASONS: Record<string, string> = { 'spoofed-system-mail': 'Spoofed system mail', blocked: 'Block rule' };

/** Quarantine of the SMTP gateway (CSOC, platform admins): list, detail, release, delete. */
export function registerGatewayRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  // Releasing delivers from the portal process: one pooled next hop, opened on first use.
  let nextHop: NextHop | null = null;
  const hop = (): NextHop => (nextHop ??= openNextHop({
    relay: config.relay, maildirRoot: mailRoot(config), poolSize: 2, timeoutMs: config.relayTimeoutMs, hostname: (config.smtpHostname ?? config.platformDomain).toLowerCase(),
  }));
  app.addHook('onClose', async () => {
    await nextHop?.close();
  });

  app.get('/quarantine', async (req, reply) => {
    const status = (queryParam(req, 'status') ?? 'held') as QuarantineStatusFilter;
    if (!STATUSES.includes(status)) throw new NotFound();
    const beforeParam = queryParam(req, 'before');
    let before: { receivedAt: string; id: string } | undefined;
    if (beforeParam) {
      const [receivedAt, id] = beforeParam.split('|');
      if (!receivedAt || !isId(id) || Number.isNaN(Date.parse(receivedAt))) throw new NotFound();
      before = { receivedAt, id };
    }
    const items = await listQuarantineFor(db, ctxOf(req, clock.now()), { status, before, limit: PAGE + 1 });
    const page = items.slice(0, PAGE);
    const last = page[page.length - 1];
    return renderPage(req, reply, config, 'gateway/views/quarantine.njk', {
      items: page.map((i) => ({ ...i, reasonText: REASONS[i.reason] ?? i.reason })),
      status,
      statuses: STATUSES,
      next: items.length > PAGE && last ? `${last.receivedAt}|${last.id}` : undefined,
    });
  });

  app.get('/quarantine/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    const item = await getQuarantineFor(db, ctxOf(req, clock.now()), id);
    return renderPage(req, reply, config, 'gateway/views/quarantine-item.njk', {
      item: { ...item, reasonText: REASONS[item.reason] ?? item.reason },
      done: queryParam(req, 'done'),
    });
  });

  app.post('/quarantine/:id/release', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    await releaseQuarantine(db, config, ctxOf(req, clock.now()), id, hop());
    return reply.redirect(`/quarantine/${id}?done=released`, 303);
  });

  app.post('/quarantine/:id/delete', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    await deleteQuarantine(db, ctxOf(req, clock.now()), id);
    return reply.redirect(`/quarantine/${id}?done=deleted`, 303);
  });
}
