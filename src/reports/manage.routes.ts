import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Conflict, Invalid, NotFound } from '../platform/errors/errors.js';
import type { RouteDeps } from '../platform/http/plugin.js';
import { ctxOf, field, isId, queryParam } from '../platform/http/ctx.js';
import { renderPage } from '../platform/http/render.js';
import { tryOrRerender } from '../platform/http/rerender.js';
import { createBlockRulesFor, liftBlockRuleFor, listBlockRulesFor } from './blocks.commands.js';
import { listSubmissionsFor } from './cert.commands.js';
import { BLOCK_KIND_LABELS, BLOCK_KINDS, isBlockKind, isVerdict, VERDICT_LABELS } from './reports.js';
import { flashOf } from './routes.shared.js';
import { addNoteFor, getCampaignFor, listCampaignsFor, setCampaignVerdictFor } from './triage.commands.js';

const DONE: Record<string, string> = {
  verdict: 'The campaign verdict was recorded for every report in it without one, and the reporters will be told.',
  note: 'Your note was added.',
  lifted: 'The block rule was lifted: every gateway stops applying it within seconds.',
  added: 'The block rule is in force: every gateway applies it within seconds.',
  'added-none': 'That block rule was already in force. Nothing was added.',
};
const PROBLEMS: Record<string, string> = {
  verdict: 'Choose a verdict.',
  note: 'Enter a note of at most 4,000 characters.',
  'already-lifted': 'That block rule was already lifted.',
};

function idParam(req: FastifyRequest): string {
  const { id } = req.params as { id: string };
  if (!isId(id)) throw new NotFound();
  return id;
}

/** Campaigns: the list, one campaign, its verdict and notes. */
function registerCampaignRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  app.get('/reports/campaigns', async (req, reply) => {
    const campaigns = await listCampaignsFor(db, ctxOf(req, clock.now()));
    return renderPage(req, reply, config, 'reports/views/campaigns.njk', { campaigns, verdictLabels: VERDICT_LABELS });
  });

  app.get('/reports/campaigns/:id', async (req, reply) => {
    const c = await getCampaignFor(db, ctxOf(req, clock.now()), idParam(req));
    return renderPage(req, reply, config, 'reports/views/campaign.njk', { ...c, verdictLabels: VERDICT_LABELS, flash: flashOf(req, DONE, PROBLEMS) });
  });

  app.post('/reports/campaigns/:id/verdict', async (req, reply) => {
    const id = idParam(req);
    const verdict = field(req.body, 'verdict');
    if (!isVerdict(verdict)) return reply.redirect(`/reports/campaigns/${id}?problem=verdict`, 303);
    await setCampaignVerdictFor(db, config, ctxOf(req, clock.now()), id, verdict);
    return reply.redirect(`/reports/campaigns/${id}?done=verdict`, 303);
  });

  app.post('/reports/campaigns/:id/notes', async (req, reply) => {
    const id = idParam(req);
    try {
      await addNoteFor(db, ctxOf(req, clock.now()), { campaignId: id }, field(req.body, 'note'));
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      return reply.redirect(`/reports/campaigns/${id}?problem=note`, 303);
    }
    return reply.redirect(`/reports/campaigns/${id}?done=note`, 303);
  });
}

/** Block rules: the list, a new rule, lifting one. */
function registerBlockRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  const blocksPage = async (req: FastifyRequest, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> => {
    const all = queryParam(req, 'all') === '1';
    return {
      rules: await listBlockRulesFor(db, ctxOf(req, clock.now()), { all }), all, now: clock.now().toISOString(), kinds: BLOCK_KINDS, kindLabels: BLOCK_KIND_LABELS,
      blockDays: config.reportBlockDays, flash: flashOf(req, DONE, PROBLEMS), values: {}, ...extra,
    };
  };

  app.get('/reports/blocks', async (req, reply) => renderPage(req, reply, config, 'reports/views/blocks.njk', await blocksPage(req)));

  app.post('/reports/blocks', async (req, reply) => {
    const kind = field(req.body, 'kind');
    const values = { kind, value: field(req.body, 'value'), days: field(req.body, 'days'), reason: field(req.body, 'reason') };
    return tryOrRerender(reply, async () => {
      if (!isBlockKind(kind)) throw new Invalid('Choose what to block.', ['Choose what to block.']);
      if (!/^\d{1,4}$/.test(values.days || String(config.reportBlockDays))) throw new Invalid('Enter a number of days.', ['Enter a number of days (0 blocks until lifted).']);
      const made = await createBlockRulesFor(db, config, ctxOf(req, clock.now()), {
        rules: [{ kind, value: values.value }], days: Number(values.days || config.reportBlockDays), reason: values.reason,
      });
      return reply.redirect(`/reports/blocks?done=${made.length ? 'added' : 'added-none'}`, 303);
    }, async (p) => renderPage(req, reply, config, 'reports/views/blocks.njk', await blocksPage(req, { problems: p.problems, values })), { kinds: ['invalid'] });
  });

  app.post('/reports/blocks/:id/lift', async (req, reply) => {
    try {
      await liftBlockRuleFor(db, ctxOf(req, clock.now()), idParam(req));
    } catch (err) {
      if (!(err instanceof Conflict)) throw err;
      return reply.redirect('/reports/blocks?problem=already-lifted', 303);
    }
    return reply.redirect('/reports/blocks?done=lifted', 303);
  });
}

/** Campaigns, block rules and CERT submissions (CSOC). */
export function registerManageRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  registerCampaignRoutes(app, { config, db, clock });
  registerBlockRoutes(app, { config, db, clock });

  app.get('/reports/submissions', async (req, reply) => {
    const submissions = await listSubmissionsFor(db, ctxOf(req, clock.now()), { limit: 200 });
    return renderPage(req, reply, config, 'reports/views/submissions.njk', { submissions, certAddress: config.reportCertAddress });
  });
}
