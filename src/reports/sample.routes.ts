import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Conflict, Invalid, NotFound } from '../platform/errors/errors.js';
import type { RouteDeps } from '../platform/http/plugin.js';
import { ctxOf, field, isId } from '../platform/http/ctx.js';
import { renderPage } from '../platform/http/render.js';
import { tryOrRerender } from '../platform/http/rerender.js';
import { createBlockRulesFor, type NewBlockRule } from './blocks.commands.js';
import { submitToCertFor } from './cert.commands.js';
import { getReportRawFor } from './reports.queries.js';
import { BLOCK_KIND_LABELS, isBlockKind, isVerdict, VERDICT_LABELS } from './reports.js';
import { fieldList, flashOf } from './routes.shared.js';
import { FRAME_CSP } from './safeview.js';
import { sampleFrameFor, sampleOriginalFor, samplePageFor } from './sample.commands.js';
import { addNoteFor, assignFor, setVerdictFor } from './triage.commands.js';

const DONE: Record<string, string> = {
  assigned: 'This report is assigned to you.',
  released: 'This report is back in the queue.',
  verdict: 'The verdict was recorded and the reporters will be told.',
  note: 'Your note was added.',
  blocked: 'The block rules are in force: every gateway applies them within seconds.',
  'block-none': 'Those block rules were already in force. Nothing was added.',
  'cert-sent': 'The sample was sent to the CERT.',
};
const PROBLEMS: Record<string, string> = {
  'cert-failed': 'Sending to the CERT failed, so the sample is not recorded as submitted. The error is listed under CERT submissions. Try again.',
  'cert-already': 'This sample was already submitted to the CERT. To send it again, tick “Submit again” and submit.',
  'cert-address': 'No CERT address is configured (POSTWARDEN_REPORT_CERT_ADDRESS). Ask a platform administrator.',
  verdict: 'Choose a verdict.',
  note: 'Enter a note of at most 4,000 characters.',
};

function sampleId(req: FastifyRequest): string {
  const { id } = req.params as { id: string };
  if (!isId(id)) throw new NotFound();
  return id;
}

type Render = (req: FastifyRequest, reply: FastifyReply, id: string, extra?: Record<string, unknown>) => Promise<FastifyReply>;

/** The sample page, from the one command that loads it, with the flash of the action before. */
function samplePage({ config, db, clock }: RouteDeps): Render {
  return async (req, reply, id, extra = {}) => renderPage(req, reply, config, 'reports/views/sample.njk', {
    ...(await samplePageFor(db, config, ctxOf(req, clock.now()), id)), blockKindLabels: BLOCK_KIND_LABELS, verdictLabels: VERDICT_LABELS,
    certConfigured: !!config.reportCertAddress, certAddress: config.reportCertAddress, blockDays: config.reportBlockDays,
    flash: flashOf(req, DONE, PROBLEMS), ...extra,
  });
}

const back = (reply: FastifyReply, id: string, q: string): FastifyReply => reply.redirect(`/reports/samples/${id}?${q}`, 303);

/** The block rules ticked on the page ("kind:value"), the unknown kinds left out. */
function tickedRules(body: unknown): NewBlockRule[] {
  const rules: NewBlockRule[] = [];
  for (const v of fieldList(body, 'block')) {
    const i = v.indexOf(':');
    const kind = v.slice(0, i);
    if (i > 0 && isBlockKind(kind)) rules.push({ kind, value: v.slice(i + 1) });
  }
  return rules;
}

/** The sample's downloads and frame: the safe HTML, the original bytes, the whole report. */
function registerSampleFiles(app: FastifyInstance, { db, clock }: RouteDeps): void {
  // The sanitised HTML, for <iframe sandbox> only: its own CSP (nothing loads, nothing runs).
  app.get('/reports/samples/:id/html', async (req, reply) => {
    const doc = await sampleFrameFor(db, ctxOf(req, clock.now()), sampleId(req));
    return reply.header('content-security-policy', FRAME_CSP).header('x-frame-options', 'SAMEORIGIN').header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer').type('text/html; charset=utf-8').send(doc);
  });

  // The original bytes, as a download that no browser renders.
  app.get('/reports/samples/:id/original', async (req, reply) => {
    const { bytes, filename } = await sampleOriginalFor(db, ctxOf(req, clock.now()), sampleId(req));
    return reply.type('application/octet-stream').header('content-disposition', `attachment; filename="${filename}"`).header('cache-control', 'no-store').send(bytes);
  });

  // A whole report as it was received (rebuilt byte for byte), as a download.
  app.get('/reports/raw/:id', async (req, reply) => {
    const raw = await getReportRawFor(db, ctxOf(req, clock.now()), sampleId(req));
    return reply.type('application/octet-stream').header('content-disposition', 'attachment; filename="report.eml"').header('cache-control', 'no-store').send(raw);
  });
}

/** One sample's page, its safe HTML frame, its original bytes, and the analyst's actions on it. */
export function registerSampleRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  const render = samplePage({ config, db, clock });
  registerSampleFiles(app, { config, db, clock });

  app.get('/reports/samples/:id', async (req, reply) => render(req, reply, sampleId(req)));

  app.post('/reports/samples/:id/assign', async (req, reply) => {
    const id = sampleId(req);
    const release = field(req.body, 'action') === 'release';
    await assignFor(db, ctxOf(req, clock.now()), [id], release ? null : 'me');
    return back(reply, id, release ? 'done=released' : 'done=assigned');
  });

  app.post('/reports/samples/:id/verdict', async (req, reply) => {
    const id = sampleId(req);
    const verdict = field(req.body, 'verdict');
    if (!isVerdict(verdict)) return back(reply, id, 'problem=verdict');
    await setVerdictFor(db, config, ctxOf(req, clock.now()), [id], verdict);
    return back(reply, id, verdict === 'phishing' ? 'done=verdict#block' : 'done=verdict');
  });

  app.post('/reports/samples/:id/notes', async (req, reply) => {
    const id = sampleId(req);
    try {
      await addNoteFor(db, ctxOf(req, clock.now()), { sampleId: id }, field(req.body, 'note'));
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      return back(reply, id, 'problem=note');
    }
    return back(reply, id, 'done=note');
  });

  app.post('/reports/samples/:id/block', async (req, reply) => {
    const id = sampleId(req);
    const days = Number(field(req.body, 'days') || config.reportBlockDays);
    return tryOrRerender(reply, async () => {
      const made = await createBlockRulesFor(db, config, ctxOf(req, clock.now()), { rules: tickedRules(req.body), sampleId: id, days, reason: field(req.body, 'reason') });
      return back(reply, id, made.length ? 'done=blocked' : 'done=block-none');
    }, (p) => render(req, reply, id, { blockProblems: p.problems }), { kinds: ['invalid', 'conflict'], status: 400 });
  });

  // The command authorizes (triage) before anything else.
  app.post('/reports/samples/:id/cert', async (req, reply) => {
    const id = sampleId(req);
    try {
      const r = await submitToCertFor(db, config, ctxOf(req, clock.now()), { sampleIds: [id], arf: field(req.body, 'arf') === '1', force: field(req.body, 'force') === '1' }, { logger: req.log });
      return back(reply, id, r.sent ? 'done=cert-sent' : 'problem=cert-failed');
    } catch (err) {
      if (err instanceof Conflict) return back(reply, id, 'problem=cert-already');
      if (err instanceof Invalid) return back(reply, id, 'problem=cert-address');
      throw err;
    }
  });
}
