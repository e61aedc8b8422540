import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Invalid, NotFound } from '../platform/errors/errors.js';
import type { RouteDeps } from '../platform/http/plugin.js';
import { ctxOf, field, isId, queryParam } from '../platform/http/ctx.js';
import type { Ctx } from '../platform/context.js';
import { renderPage } from '../platform/http/render.js';
import { tryOrRerender } from '../platform/http/rerender.js';
import {
  getFixableAccountFor, getSweepRunFor, listDisabledFor, listSweepRunsFor, remediateMobileFor, setOwnMobile, SWEEP_STALL_MS, sweepReportFor,
} from './phones.commands.js';
import { continueSweep, openSweepRun, type SweepMode } from './phones.sweep.js';

const ACTION_TEXT: Record<string, string> = {
  'would-disable': 'Would be disabled', disabled: 'Disabled', 'already-disabled': 'Already disabled', 'left-as-is': 'Left as it is (not active)',
};

function idParam(req: FastifyRequest): string {
  const { id } = req.params as { id: string };
  if (!isId(id)) throw new NotFound();
  return id;
}

/** Runs (or resumes) a sweep after the reply: 1.5M accounts take tens of seconds; the page shows progress, and a crash leaves a resumable run. */
function continueInBackground({ config, db, clock }: RouteDeps, req: FastifyRequest, ctx: Ctx, runId: string): void {
  void continueSweep(db, ctx, config, runId, { clock }).catch((err: unknown) => req.log.error({ err, runId }, 'mobile sweep stopped; it can be resumed'));
}

/** The sweep (platform admins): start or resume a run, watch it, download its report. */
function registerSweepRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  app.get('/phones/sweeps', async (req, reply) => {
    const runs = await listSweepRunsFor(db, ctxOf(req, clock.now()));
    return renderPage(req, reply, config, 'phones/views/sweeps.njk', { runs, crown: config.allowCrownDependencyMobiles });
  });

  app.post('/phones/sweeps', async (req, reply) => {
    const ctx = ctxOf(req, clock.now());
    const mode: SweepMode = field(req.body, 'mode') === 'apply' ? 'apply' : 'dry-run';
    const org = field(req.body, 'org').trim();
    const problems: string[] = [];
    if (org && !/^[A-Za-z0-9]{1,12}$/.test(org)) problems.push('An organisation code is 1 to 12 letters or digits.');
    if (mode === 'apply' && field(req.body, 'confirm') !== 'yes') problems.push('Confirm that you want to disable the accounts the sweep finds.');
    try {
      if (problems.length) throw new Invalid('The sweep was not started.', problems);
      const { run, resumed } = await openSweepRun(db, ctx, config, { mode, organisationCode: org || undefined });
      const busy = resumed && clock.now().getTime() - Date.parse(run.updated_at) <= SWEEP_STALL_MS;
      if (!busy) continueInBackground({ config, db, clock }, req, ctx, run.id);
      return reply.redirect(`/phones/sweeps/${run.id}`, 303);
    } catch (err) {
      if (!(err instanceof Invalid) && !(err instanceof NotFound)) throw err;
      reply.code(400);
      const runs = await listSweepRunsFor(db, ctx);
      return renderPage(req, reply, config, 'phones/views/sweeps.njk', {
        runs, crown: config.allowCrownDependencyMobiles, values: { mode, org }, problems: err instanceof Invalid ? err.problems : [err.message],
      });
    }
  });

  app.get('/phones/sweeps/:id', async (req, reply) => {
    const { run, items } = await getSweepRunFor(db, ctxOf(req, clock.now()), idParam(req));
    return renderPage(req, reply, config, 'phones/views/sweep.njk', { run, items: items.map((i) => ({ ...i, actionText: ACTION_TEXT[i.action] ?? i.action })) });
  });

  app.post('/phones/sweeps/:id/resume', async (req, reply) => {
    const id = idParam(req);
    const ctx = ctxOf(req, clock.now());
    const { run } = await getSweepRunFor(db, ctx, id, 1);
    if (run.interrupted) continueInBackground({ config, db, clock }, req, ctx, run.id);
    return reply.redirect(`/phones/sweeps/${id}`, 303);
  });

  app.get('/phones/sweeps/:id/report.csv', async (req, reply) => {
    const id = idParam(req);
    const lines = sweepReportFor(db, ctxOf(req, clock.now()), id);
    const first = await lines.next(); // refusals become proper error pages
    async function* all(): AsyncGenerator<string> {
      if (!first.done) yield first.value;
      yield* lines;
    }
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="mobile-sweep-${id}.csv"`)
      .header('cache-control', 'no-store')
      .send(Readable.from(all()));
  });
}

/** LA remediation: the accounts disabled for their number, and the form that fixes one. */
function registerRemediationRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  app.get('/phones/disabled', async (req, reply) => {
    const org = queryParam(req, 'org');
    if (org !== undefined && !isId(org)) throw new NotFound();
    const after = queryParam(req, 'after');
    const accounts = await listDisabledFor(db, ctxOf(req, clock.now()), { organisationId: org, afterEmail: after, limit: 51 });
    return renderPage(req, reply, config, 'phones/views/disabled.njk', {
      accounts: accounts.slice(0, 50), org, nextAfter: accounts.length > 50 ? accounts[49]!.email : undefined,
    });
  });

  app.get('/accounts/:id/mobile/fix', async (req, reply) => {
    const account = await getFixableAccountFor(db, ctxOf(req, clock.now()), idParam(req));
    return renderPage(req, reply, config, 'phones/views/fix.njk', { account, values: { mobile: '' } });
  });

  app.post('/accounts/:id/mobile/fix', async (req, reply) => {
    const id = idParam(req);
    const mobile = field(req.body, 'mobile');
    return tryOrRerender(reply, async () => {
      await remediateMobileFor(db, ctxOf(req, clock.now()), config, id, mobile);
      return reply.redirect(`/accounts/${id}?fixed=1`, 303);
    }, async (p) => {
      const account = await getFixableAccountFor(db, ctxOf(req, clock.now()), id);
      return renderPage(req, reply, config, 'phones/views/fix.njk', { account, values: { mobile }, problems: p.error.problems });
    }, { kinds: ['invalid'] });
  });
}

/** UK-only mobile numbers: the sweep (platform admins), LA remediation, your own number. */
export function registerPhoneRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  registerSweepRoutes(app, { config, db, clock });
  registerRemediationRoutes(app, { config, db, clock });

  app.get('/profile/mobile', async (req, reply) => {
    return renderPage(req, reply, config, 'phones/views/profile-mobile.njk', {
      current: req.account!.mobile, values: { mobile: req.account!.mobile ?? '' }, saved: queryParam(req, 'saved') === '1', crown: config.allowCrownDependencyMobiles,
    });
  });

  app.post('/profile/mobile', async (req, reply) => {
    const values = { mobile: field(req.body, 'mobile') };
    return tryOrRerender(reply, async () => {
      await setOwnMobile(db, ctxOf(req, clock.now()), config, { number: values.mobile, currentPassword: field(req.body, 'currentPassword') });
      return reply.redirect('/profile/mobile?saved=1', 303);
    }, (p) => renderPage(req, reply, config, 'phones/views/profile-mobile.njk', {
      current: req.account!.mobile, values, crown: config.allowCrownDependencyMobiles,
      errorList: p.error.problems.map((text) => ({ text, href: /password/i.test(text) ? '#currentPassword' : '#mobile' })),
      mobileError: p.error.problems.find((t) => !/password/i.test(t)), passwordError: p.error.problems.find((t) => /password/i.test(t)),
    }), { kinds: ['invalid'] });
  });
}
