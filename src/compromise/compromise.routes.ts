import type { FastifyInstance } from 'fastify';
import { Invalid, NotFound } from '../platform/errors/errors.js';
import type { RouteDeps } from '../platform/http/plugin.js';
import { ctxOf, field, isId, queryParam } from '../platform/http/ctx.js';
import { renderPage } from '../platform/http/render.js';
import { tryOrRerender } from '../platform/http/rerender.js';
import { SCAN_RESULT_TEXT, SCAN_RESULTS } from './compromise.js';
import { casesPageFor, closeCaseFor, getCaseDeviceFor, getCaseFor, recordDeviceNotOursFor, recordDeviceScanFor } from './compromise.case.commands.js';
import { registerCompromiseMarkRoutes } from './compromise.mark.routes.js';

const SCAN_FIELDS = ['scannedBy', 'tool', 'result', 'scannedOn'] as const;

/** Compromised accounts: mark, cases, checklist (CSOC, platform admins, LAs). */
export function registerCompromiseRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { config, db, clock } = deps;
  registerCompromiseMarkRoutes(app, deps);
  registerDeviceRoutes(app, deps);

  app.get('/compromise', async (req, reply) => {
    const status = queryParam(req, 'status') === 'closed' ? 'closed' : 'open';
    const org = queryParam(req, 'org');
    if (org !== undefined && !isId(org)) throw new NotFound();
    const page = await casesPageFor(db, ctxOf(req, clock.now()), { status, organisationId: org, escalationHours: config.compromiseEscalationHours });
    return renderPage(req, reply, config, 'compromise/views/cases.njk', { ...page, status, org, escalationHours: config.compromiseEscalationHours });
  });

  app.get('/compromise/cases/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    const view = await getCaseFor(db, ctxOf(req, clock.now()), id, config.compromiseEscalationHours);
    const opened = /^(\d{1,6})-(\d{1,6})$/.exec(queryParam(req, 'opened') ?? '');
    return renderPage(req, reply, config, 'compromise/views/case.njk', {
      ...view, opened: opened ? { sessions: Number(opened[1]), tokens: Number(opened[2]) } : null,
      recorded: queryParam(req, 'recorded') === '1', closed: queryParam(req, 'closed') === '1', escalationHours: config.compromiseEscalationHours,
    });
  });

  app.post('/compromise/cases/:id/close', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    const ctx = ctxOf(req, clock.now());
    return tryOrRerender(reply, async () => {
      await closeCaseFor(db, ctx, id);
      return reply.redirect(`/compromise/cases/${id}?closed=1`, 303);
    }, async (p) => {
      const view = await getCaseFor(db, ctx, id, config.compromiseEscalationHours);
      return renderPage(req, reply, config, 'compromise/views/case.njk', {
        ...view, escalationHours: config.compromiseEscalationHours, closeProblems: problemsOf(p.error),
      });
    }, { kinds: ['invalid', 'conflict'] });
  });
}

/** A device of a case: its page, a recorded scan, or "not ours". */
function registerDeviceRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {

  app.get('/compromise/cases/:id/devices/:device', async (req, reply) => {
    const { id, device } = req.params as { id: string; device: string };
    if (!isId(id) || !isId(device)) throw new NotFound();
    const view = await getCaseDeviceFor(db, ctxOf(req, clock.now()), id, device);
    return renderPage(req, reply, config, 'compromise/views/device.njk', { ...view, ...choices(), scan: { scannedOn: clock.now().toISOString().slice(0, 10) }, notOurs: {} });
  });

  app.post('/compromise/cases/:id/devices/:device/scan', async (req, reply) => {
    const { id, device } = req.params as { id: string; device: string };
    if (!isId(id) || !isId(device)) throw new NotFound();
    const ctx = ctxOf(req, clock.now());
    const scan = Object.fromEntries(SCAN_FIELDS.map((f) => [f, field(req.body, f)])) as Record<(typeof SCAN_FIELDS)[number], string>;
    return tryOrRerender(reply, async () => {
      await recordDeviceScanFor(db, ctx, id, device, scan);
      return reply.redirect(`/compromise/cases/${id}?recorded=1#devices`, 303);
    }, async (p) => {
      const view = await getCaseDeviceFor(db, ctx, id, device);
      return renderPage(req, reply, config, 'compromise/views/device.njk', {
        ...view, ...choices(scan.result), scan, notOurs: {}, scanProblems: linked(p.error, (t) => (/who/i.test(t) ? '#scannedBy' : /tool/i.test(t) ? '#tool' : /result/i.test(t) ? '#result' : '#scannedOn')),
      });
    }, { kinds: ['invalid', 'conflict'] });
  });

  app.post('/compromise/cases/:id/devices/:device/not-ours', async (req, reply) => {
    const { id, device } = req.params as { id: string; device: string };
    if (!isId(id) || !isId(device)) throw new NotFound();
    const ctx = ctxOf(req, clock.now());
    const reason = field(req.body, 'reason');
    return tryOrRerender(reply, async () => {
      await recordDeviceNotOursFor(db, ctx, id, device, reason);
      return reply.redirect(`/compromise/cases/${id}?recorded=1#devices`, 303);
    }, async (p) => {
      const view = await getCaseDeviceFor(db, ctx, id, device);
      return renderPage(req, reply, config, 'compromise/views/device.njk', {
        ...view, ...choices(), scan: { scannedOn: clock.now().toISOString().slice(0, 10) }, notOurs: { reason }, notOursProblems: linked(p.error, () => '#reason'),
      });
    }, { kinds: ['invalid', 'conflict'] });
  });
}

function choices(selected?: string): { resultItems: { value: string; text: string; checked: boolean }[] } {
  return { resultItems: SCAN_RESULTS.map((r) => ({ value: r, text: SCAN_RESULT_TEXT[r], checked: r === selected })) };
}

/** An Invalid's field problems, or any other refusal's message. */
function problemsOf(err: Error): readonly string[] {
  return err instanceof Invalid ? err.problems : [err.message];
}

function linked(err: Error, href: (text: string) => string): { text: string; href: string }[] {
  return problemsOf(err).map((text) => ({ text, href: href(text) }));
}
