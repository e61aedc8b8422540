import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../platform/http/plugin.js';
import { csvLine } from '../platform/csv.js';
import { ctxOf, field, isId, queryParam } from '../platform/http/ctx.js';
import { renderPage } from '../platform/http/render.js';
import { tryOrRerender } from '../platform/http/rerender.js';
import { NotFound } from '../platform/errors/errors.js';
import { gapOf } from './coverage.js';
import { coveragePageFor, exportCoverageFor, exportMissingFor, type MissingAccount } from './coverage.commands.js';
import {
  confirmAreaRequirement, confirmListRequirement, openListRequirement, previewAreaRequirement, previewListRequirement, unmarkAccountFor,
} from './coverage.require.commands.js';

const PAGE = 50;
/** The preview shows this many affected accounts by name; the count is always exact. */
const PREVIEW_ROWS = 200;

/** An organisation id from a query or form: absent is fine, anything but an id is a 404. */
function orgParam(v: string | undefined): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (!isId(v)) throw new NotFound();
  return v;
}

/** A count the confirm form carries back (what the preview showed), or undefined. */
function expectedParam(v: string): number | undefined {
  return /^\d{1,7}$/.test(v) ? Number(v) : undefined;
}

const REASON_SHORT: Record<string, string> = { 'high-risk-area': 'High-risk area', 'privileged-role': 'Administrative role', compromised: 'Compromised', marked: 'Marked' };

function reasonLabels(a: MissingAccount): string {
  return a.reasons.map((r) => REASON_SHORT[r] ?? r).join(', ');
}

function csvReply(reply: FastifyReply, filename: string, lines: AsyncIterable<string> | Iterable<string>): FastifyReply {
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${filename}"`)
    .header('cache-control', 'no-store')
    .send(Readable.from(lines));
}

function filters(req: FastifyRequest): { organisationId?: string; search?: string; gapsOnly: boolean } {
  return { organisationId: orgParam(queryParam(req, 'org')), search: queryParam(req, 'q')?.slice(0, 100), gapsOnly: queryParam(req, 'gaps') === '1' };
}

/** The coverage page (per-area table, the people to chase) and its two CSV exports. */
function registerCoverageViews(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  app.get('/mfa/coverage', async (req, reply) => {
    const f = filters(req);
    const after = queryParam(req, 'after')?.slice(0, 320);
    const { view, missing } = await coveragePageFor(db, ctxOf(req, clock.now()), { ...f, afterEmail: after, limit: PAGE + 1 });
    const more = missing.length > PAGE;
    const page = missing.slice(0, PAGE);
    const done = queryParam(req, 'done');
    const n = queryParam(req, 'n');
    return renderPage(req, reply, config, 'mfa/views/coverage.njk', {
      ...view, filter: f, after,
      areaRows: view.areas.map((a) => ({ ...a, gap: gapOf(a) })),
      totalsGap: gapOf(view.totals),
      missing: page.map((a) => ({ ...a, reasonText: reasonLabels(a) })),
      nextAfter: more ? page[page.length - 1]!.email : undefined,
      done: done && ['area', 'list', 'unmark', 'none'].includes(done) ? done : undefined,
      doneCount: n && /^\d{1,7}$/.test(n) ? Number(n) : 0,
    });
  });

  app.get('/mfa/coverage.csv', async (req, reply) => {
    const view = await exportCoverageFor(db, ctxOf(req, clock.now()), filters(req));
    const lines = [csvLine(['organisation_code', 'business_area', 'high_risk', 'accounts', 'required', 'required_enrolled', 'required_not_enrolled', 'enrolled'])];
    for (const a of view.areas) {
      lines.push(csvLine([view.organisation.code, a.businessArea, a.highRisk ? 'yes' : 'no', a.total, a.required, a.requiredEnrolled, gapOf(a), a.enrolled]));
    }
    return csvReply(reply, 'mfa-coverage.csv', lines);
  });

  app.get('/mfa/coverage/missing.csv', async (req, reply) => {
    const f = filters(req);
    const pages = exportMissingFor(db, ctxOf(req, clock.now()), { organisationId: f.organisationId, areaSearch: f.search });
    // Pull the first page before answering, so that a refusal is a proper error page.
    const first = await pages.next();
    async function* lines(): AsyncGenerator<string> {
      yield csvLine(['email', 'display_name', 'business_area', 'reasons']);
      const emit = (rows: MissingAccount[]): string => rows.map((a) => csvLine([a.email, a.displayName, a.businessArea, a.reasons.join(' ')])).join('');
      if (!first.done) yield emit(first.value);
      for await (const page of pages) yield emit(page);
    }
    return csvReply(reply, 'mfa-required-not-enrolled.csv', lines());
  });
}

function areaInput(req: FastifyRequest): { organisationId: string; businessArea: string } {
  const organisationId = orgParam(field(req.body, 'org'));
  if (!organisationId) throw new NotFound();
  return { organisationId, businessArea: field(req.body, 'area').slice(0, 1000) };
}

/** Require MFA for a business area: preview, then confirm with the same input. */
function registerAreaRequirement(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  async function showAreaPreview(req: FastifyRequest, reply: FastifyReply, warning?: string): Promise<FastifyReply> {
    const input = areaInput(req);
    return tryOrRerender(reply, async () => {
      const preview = await previewAreaRequirement(db, ctxOf(req, clock.now()), input);
      return renderPage(req, reply, config, 'mfa/views/coverage-area-preview.njk', { preview, shown: preview.affected.slice(0, PREVIEW_ROWS), warning });
    }, (p) => renderPage(req, reply, config, 'mfa/views/coverage-area-preview.njk', { problems: p.error.problems, organisationId: input.organisationId }), { kinds: ['invalid'] });
  }

  app.post('/mfa/coverage/require-area/preview', async (req, reply) => showAreaPreview(req, reply));

  app.post('/mfa/coverage/require-area/confirm', async (req, reply) => {
    const input = areaInput(req);
    return tryOrRerender(reply, async () => {
      const r = await confirmAreaRequirement(db, ctxOf(req, clock.now()), { ...input, expectedAffected: expectedParam(field(req.body, 'expected')) });
      return reply.redirect(`/mfa/coverage?org=${r.organisation.id}&done=${r.applied ? 'area' : 'none'}&n=${r.affected.length}`, 303);
    }, (p) => showAreaPreview(req, reply, p.error.message), { kinds: ['conflict'] });
  });
}

/** Require MFA for a pasted list of addresses: the form, preview, then confirm. */
function registerListRequirement(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  app.get('/mfa/coverage/require-list', async (req, reply) => {
    const { organisationId } = openListRequirement(ctxOf(req, clock.now()), { organisationId: orgParam(queryParam(req, 'org')) });
    return renderPage(req, reply, config, 'mfa/views/coverage-list.njk', { organisationId, text: '' });
  });

  async function showListPreview(req: FastifyRequest, reply: FastifyReply, warning?: string): Promise<FastifyReply> {
    const text = field(req.body, 'addresses');
    const organisationId = orgParam(field(req.body, 'org'));
    return tryOrRerender(reply, async () => {
      const preview = await previewListRequirement(db, ctxOf(req, clock.now()), { text });
      return renderPage(req, reply, config, 'mfa/views/coverage-list-preview.njk', { preview, text, organisationId, warning, shown: preview.affected.slice(0, PREVIEW_ROWS) });
    }, (p) => renderPage(req, reply, config, 'mfa/views/coverage-list.njk', { organisationId, text, problems: p.error.problems }), { kinds: ['invalid'] });
  }

  app.post('/mfa/coverage/require-list/preview', async (req, reply) => showListPreview(req, reply));

  app.post('/mfa/coverage/require-list/confirm', async (req, reply) => {
    const organisationId = orgParam(field(req.body, 'org'));
    return tryOrRerender(reply, async () => {
      const r = await confirmListRequirement(db, ctxOf(req, clock.now()), { text: field(req.body, 'addresses'), expectedAffected: expectedParam(field(req.body, 'expected')) });
      return reply.redirect(`/mfa/coverage?${organisationId ? `org=${organisationId}&` : ''}done=list&n=${r.affected.length}`, 303);
    }, (p) => showListPreview(req, reply, p.error.message), { kinds: ['conflict'] });
  });
}

/**
 * The MFA coverage pages: per-area table, the people to chase, CSV exports, and
 * "require MFA" for an area or a pasted list (preview, then confirm).
 */
export function registerCoverageRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  registerCoverageViews(app, { config, db, clock });
  registerAreaRequirement(app, { config, db, clock });
  registerListRequirement(app, { config, db, clock });

  app.post('/mfa/coverage/accounts/:id/unmark', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    const organisationId = orgParam(field(req.body, 'org'));
    const changed = await unmarkAccountFor(db, ctxOf(req, clock.now()), id);
    return reply.redirect(`/mfa/coverage?${organisationId ? `org=${organisationId}&` : ''}done=unmark&n=${changed ? 1 : 0}`, 303);
  });
}
