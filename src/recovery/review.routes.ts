import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../platform/http/plugin.js';
import { csvLine } from '../platform/csv.js';
import { ctxOf, field, isId, queryParam } from '../platform/http/ctx.js';
import { renderPage } from '../platform/http/render.js';
import { tryOrRerender } from '../platform/http/rerender.js';
import { Invalid, NotFound } from '../platform/errors/errors.js';
import { CHANNEL_TEXT, FLAG_TEXT, REVIEW_CSV_HEADER, reviewCsvLine, SECOND_FACTOR_TEXT } from './review.js';
import { exportResetReview, recordReview, resetReview, reviewOrganisationChoices } from './review.commands.js';

function orgParam(v: string | undefined): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (!isId(v)) throw new NotFound();
  return v;
}

/** The LA's reset review page, its CSV export and the recorded sign-off. */
export function registerReviewRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  async function page(req: FastifyRequest, reply: FastifyReply, q: { org?: string; from?: string; to?: string }, extra: Record<string, unknown> = {}): Promise<FastifyReply> {
    const ctx = ctxOf(req, clock.now());
    const orgChoices = (await reviewOrganisationChoices(db, ctx)).map((o) => ({ value: o.id, text: o.name }));
    let r = null;
    let problems = (extra.problems as string[] | undefined) ?? [];
    if (q.org || orgChoices.length) {
      try {
        r = await resetReview(db, ctx, config, { organisationId: q.org, from: q.from, to: q.to });
      } catch (err) {
        if (!(err instanceof Invalid)) throw err;
        reply.code(400);
        problems = [...err.problems];
      }
    } else {
      problems = problems.length ? problems : ['Open the review of an organisation from its page (add ?org=<organisation id>).'];
    }
    return renderPage(req, reply, config, 'recovery/views/review.njk', {
      r, orgChoices, from: r?.period.from ?? q.from, to: r?.period.to ?? q.to, intervalDays: config.recoveryReviewIntervalDays,
      channelText: CHANNEL_TEXT, secondFactorText: SECOND_FACTOR_TEXT, flagText: FLAG_TEXT, recorded: queryParam(req, 'recorded') === '1', ...extra, problems,
    });
  }

  app.get('/recovery/review', async (req, reply) =>
    page(req, reply, { org: orgParam(queryParam(req, 'org')), from: queryParam(req, 'from')?.slice(0, 20), to: queryParam(req, 'to')?.slice(0, 20) }),
  );

  app.get('/recovery/review.csv', async (req, reply) => {
    const { organisation, period, rows } = await exportResetReview(db, ctxOf(req, clock.now()), config, {
      organisationId: orgParam(queryParam(req, 'org')), from: queryParam(req, 'from')?.slice(0, 20), to: queryParam(req, 'to')?.slice(0, 20),
    });
    const body = csvLine(REVIEW_CSV_HEADER) + rows.map(reviewCsvLine).join('');
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="resets-${organisation.code}-${period.from}-${period.to}.csv"`)
      .header('cache-control', 'no-store')
      .send(body);
  });

  app.post('/recovery/review', async (req, reply) => {
    const org = orgParam(field(req.body, 'org'));
    if (!org) throw new NotFound();
    const q = { org, from: field(req.body, 'from').slice(0, 20), to: field(req.body, 'to').slice(0, 20) };
    return tryOrRerender(reply, async () => {
      await recordReview(db, ctxOf(req, clock.now()), config, { organisationId: org, from: q.from, to: q.to, notes: field(req.body, 'notes') });
      return reply.redirect(`/recovery/review?org=${org}&from=${encodeURIComponent(q.from)}&to=${encodeURIComponent(q.to)}&recorded=1`, 303);
    }, (p) => page(req, reply, q, { problems: [...p.error.problems], problemHref: '#notes', notes: field(req.body, 'notes') }), { kinds: ['invalid'] });
  });
}
