import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { reportingAddresses } from './reports.config.js';
import { DomainError, httpStatusFor, Invalid, NotFound, RateLimited } from '../platform/errors/errors.js';
import type { RouteDeps } from '../platform/http/plugin.js';
import { ctxOf, field, isId, queryParam } from '../platform/http/ctx.js';
import { renderPage } from '../platform/http/render.js';
import { packageRoot } from '../platform/paths.js';
import { acceptRawReports } from './reports.api.js';
import { ingestReport } from './reports.commands.js';
import { listReportsFor, parseCursor } from './reports.queries.js';
import { AGE_FILTERS, isVerdict, MAX_BULK, SAMPLE_STATUSES, VERDICT_LABELS, type SampleStatus, type Verdict } from './reports.js';
import { registerManageRoutes } from './manage.routes.js';
import { fieldList, flashOf, safeReturn } from './routes.shared.js';
import { registerSampleRoutes } from './sample.routes.js';
import { assignFor, listQueueFor, setVerdictFor } from './triage.commands.js';

const UPLOAD_SCRIPT = path.join(packageRoot, 'src', 'reports', 'assets', 'report-upload.js');

const BULK_ACTIONS = ['assign', 'release', 'verdict-phishing', 'verdict-spam', 'verdict-legitimate'];

const PROBLEMS: Record<string, string> = {
  select: 'Select at least one report.',
  'too-many': `Select at most ${MAX_BULK} reports at a time.`,
  action: 'Choose what to do with the selected reports.',
};

const DONE: Record<string, string> = {
  assigned: 'The selected reports are assigned to you.',
  released: 'The selected reports are back in the queue.',
  verdict: 'The verdict was recorded and the reporters will be told.',
};

function queueFilter(req: FastifyRequest): { status?: SampleStatus; mine: boolean; verdict?: Verdict | 'none'; age?: string; org?: string; campaign?: string; q?: string } {
  const status = queryParam(req, 'status');
  const verdict = queryParam(req, 'verdict');
  const org = queryParam(req, 'org');
  const campaign = queryParam(req, 'campaign');
  if ((org && !isId(org)) || (campaign && !isId(campaign))) throw new NotFound();
  return {
    status: status && (SAMPLE_STATUSES as readonly string[]).includes(status) ? (status as SampleStatus) : status === 'any' ? undefined : status === undefined ? 'new' : undefined,
    mine: queryParam(req, 'mine') === '1',
    verdict: verdict === 'none' || (verdict && isVerdict(verdict)) ? (verdict as Verdict | 'none') : undefined,
    age: AGE_FILTERS.some((a) => a.value === queryParam(req, 'age')) ? queryParam(req, 'age') : undefined,
    org, campaign, q: queryParam(req, 'q')?.slice(0, 100),
  };
}

/** Reporting a message from the portal: the upload page, its script, and the raw-bytes upload. */
function registerUploadRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  app.get('/reports/assets/report-upload.js', { config: { auth: 'none' } }, async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(readFileSync(UPLOAD_SCRIPT)),
  );

  app.get('/reports/upload', async (req, reply) => {
    const sent = queryParam(req, 'sent');
    const myReports = await listReportsFor(db, ctxOf(req, clock.now()), { mine: true, limit: 10 });
    return renderPage(req, reply, config, 'reports/views/upload.njk', {
      sent: sent && isId(sent) ? sent : undefined, reportAddress: reportingAddresses(config)[0], myReports,
      maxBytes: config.reportMaxBytes, maxMb: Math.floor(config.reportMaxBytes / 1048576),
    });
  });

  // The upload script posts the file as raw bytes; a parser only in this scope reads them.
  void app.register(async (scope) => {
    acceptRawReports(scope, config.reportMaxBytes);
    scope.post('/reports/upload', { bodyLimit: config.reportMaxBytes }, async (req, reply) => {
      if (!Buffer.isBuffer(req.body)) {
        return reply.code(415).send({ error: 'invalid', message: 'Upload the file with the page\'s Send report button, or forward the message as an attachment.' });
      }
      const header = req.headers['x-filename'];
      let filename: string | null = null;
      try {
        filename = typeof header === 'string' ? decodeURIComponent(header).slice(0, 255) : null;
      } catch {
        filename = null; // a malformed name is not needed: the bytes say what the file is
      }
      const actor = req.actor!;
      try {
        const r = await ingestReport(db, config, ctxOf(req, clock.now()), req.body, {
          via: 'upload', reporterAddress: actor.email.toLowerCase(), reporterAccountId: actor.accountId, remoteAddress: req.ip, direct: true, filename,
        });
        req.log.info({ reportId: r.reportId, samples: r.samples.length, actorId: actor.accountId }, 'report uploaded');
        return reply.code(201).send({ reportId: r.reportId, headersLost: r.headersLost, problems: r.problems });
      } catch (err) {
        // The upload script shows the message; other errors go to the error handler.
        if (!(err instanceof Invalid) && !(err instanceof RateLimited)) throw err;
        return reply.code(httpStatusFor[(err as DomainError).code]).send({ error: (err as DomainError).code, message: err.message });
      }
    });
  });
}

/** Phishing reports: upload, CSOC queue and triage. */
export function registerReportRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { config, db, clock } = deps;
  registerUploadRoutes(app, deps);

  app.get('/reports', async (req, reply) => {
    const f = queueFilter(req);
    const ctx = ctxOf(req, clock.now());
    const before = parseCursor(queryParam(req, 'before'));
    const { items, organisations } = await listQueueFor(db, ctx, {
      status: f.status, mine: f.mine, verdict: f.verdict, age: f.age, organisationId: f.org, campaignId: f.campaign, search: f.q, before, limit: 51,
    });
    const page = items.slice(0, 50);
    const last = page[page.length - 1];
    const qs = new URLSearchParams(Object.entries({ status: queryParam(req, 'status') ?? '', mine: f.mine ? '1' : '', verdict: f.verdict ?? '', age: f.age ?? '', org: f.org ?? '', campaign: f.campaign ?? '', q: f.q ?? '' }).filter(([, v]) => v));
    return renderPage(req, reply, config, 'reports/views/queue.njk', {
      items: page, organisations, filter: { ...f, statusParam: queryParam(req, 'status') ?? 'new' }, ageFilters: AGE_FILTERS, verdictLabels: VERDICT_LABELS,
      next: items.length > 50 && last ? `/reports?${qs.toString() ? qs.toString() + '&' : ''}before=${encodeURIComponent(`${last.first_reported_at}|${last.id}`)}` : undefined,
      flash: flashOf(req, DONE, PROBLEMS),
      returnTo: req.url,
    });
  });

  app.post('/reports/bulk', async (req, reply) => {
    const ids = fieldList(req.body, 'ids').filter(isId);
    const action = field(req.body, 'action');
    const ctx = ctxOf(req, clock.now());
    const back = safeReturn(field(req.body, 'returnTo'));
    const problem = ids.length === 0 ? 'select' : ids.length > MAX_BULK ? 'too-many' : !BULK_ACTIONS.includes(action) ? 'action' : null;
    if (problem) return reply.redirect(`${back}${back.includes('?') ? '&' : '?'}problem=${problem}`, 303);
    if (action === 'assign') await assignFor(db, ctx, ids, 'me');
    else if (action === 'release') await assignFor(db, ctx, ids, null);
    else await setVerdictFor(db, config, ctx, ids, action.slice(8) as Verdict);
    const done = action === 'assign' ? 'assigned' : action === 'release' ? 'released' : 'verdict';
    return reply.redirect(`${back}${back.includes('?') ? '&' : '?'}done=${done}`, 303);
  });

  registerSampleRoutes(app, deps);
  registerManageRoutes(app, deps);
}
