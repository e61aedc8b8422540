import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { canManage, getAccountFor } from '../directory/directory.commands.js';
import { Invalid, NotFound } from '../platform/errors/errors.js';
import type { RouteDeps } from '../platform/http/plugin.js';
import { ctxOf, field, isId, queryParam } from '../platform/http/ctx.js';
import { renderPage } from '../platform/http/render.js';
import {
  getSweepRunFor, listDisabledFor, listSweepRunsFor, remediateMobileFor, setOwnMobile, SWEEP_STALL_MS, sweepReportFor,
} from './phones.commands.js';
import { STATUS_REASON_NON_UK_MOBILE } from './phones.js';
import { continueSweep, openSweepRun, type SweepMode } from './phones.sweep.js';

const ACTION_TEXT: Record<string, string> = {
  'would-disable': 'Would be disabled', disabled: 'Disabled', 'already-disabled': 'Already disabled', 'left-as-is': 'Left as it is (not active)',
};

/** UK-only mobile numbers: the sweep (platform admins), LA remediation, your own number. */
export function registerPhoneRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
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
      if (!busy) runInBackground(run.id);
      return reply.redirect(`/phones/sweeps/${run.id}`, 303);
    } catch (err) {
      if (!(err instanceof Invalid) && !(err instanceof NotFound)) throw err;
      reply.code(400);
      const runs = await listSweepRunsFor(db, ctx);
      return renderPage(req, reply, config, 'phones/views/sweeps.njk', {
        runs, crown: config.allowCrownDependencyMobiles, values: { mode, org }, problems: err instanceof Invalid ? err.problems : [err.message],
      });
    }

    function runInBackground(runId: string): void {
      // Long (1.5M accounts take tens of seconds): the page shows progress; a crash leaves a resumable run.
      void continueSweep(db, ctx, config, runId, { clock }).catch((err: unknown) => req.log.error({ err, runId }, 'mobile sweep stopped; it can be resumed'));
    }
  });

  app.get('/phones/sweeps/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    const { run, items } = await getSweepRunFor(db, ctxOf(req, clock.now()), id);
    return renderPage(req, reply, config, 'phones/views/sweep.njk', { run, items: items.map((i) => ({ ...i, actionText: ACTION_TEXT[i.action] ?? i.action })) });
  });

  app.post('/phones/sweeps/:id/resume', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    const ctx = ctxOf(req, clock.now());
    const { run } = await getSweepRunFor(db, ctx, id, 1);
    if (run.interrupted) {
      void continueSweep(db, ctx, config, run.id, { clock }).catch((err: unknown) => req.log.error({ err, runId: run.id }, 'mobile sweep stopped; it can be resumed'));
    }
    return reply.redirect(`/phones/sweeps/${id}`, 303);
  });

  app.get('/phones/sweeps/:id/report.csv', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
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
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    const account = await fixable(req, id);
    return renderPage(req, reply, config, 'phones/views/fix.njk', { account, values: { mobile: '' } });
  });

  app.post('/accounts/:id/mobile/fix', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    const mobile = field(req.body, 'mobile');
    try {
      await remediateMobileFor(db, ctxOf(req, clock.now()), config, id, mobile);
      return reply.redirect(`/accounts/${id}?fixed=1`, 303);
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      const account = await fixable(req, id);
      reply.code(400);
      return renderPage(req, reply, config, 'phones/views/fix.njk', { account, values: { mobile }, problems: err.problems });
    }
  });

  app.get('/profile/mobile', async (req, reply) => {
    return renderPage(req, reply, config, 'phones/views/profile-mobile.njk', {
      current: req.account!.mobile, values: { mobile: req.account!.mobile ?? '' }, saved: queryParam(req, 'saved') === '1', crown: config.allowCrownDependencyMobiles,
    });
  });

  app.post('/profile/mobile', async (req, reply) => {
    const values = { mobile: field(req.body, 'mobile') };
    try {
      await setOwnMobile(db, ctxOf(req, clock.now()), config, { number: values.mobile, currentPassword: field(req.body, 'currentPassword') });
      return reply.redirect('/profile/mobile?saved=1', 303);
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      reply.code(400);
      return renderPage(req, reply, config, 'phones/views/profile-mobile.njk', {
        current: req.account!.mobile, values, crown: config.allowCrownDependencyMobiles,
        errorList: err.problems.map((text) => ({ text, href: /password/i.test(text) ? '#currentPassword' : '#mobile' })),
        mobileError: err.problems.find((t) => !/password/i.test(t)), passwordError: err.problems.find((t) => /password/i.test(t)),
      });
    }
  });

  /** The account, if the actor may fix it (else 404 like a missing one) and it is disabled for its number. */
  async function fixable(req: Parameters<typeof ctxOf>[0], id: string): Promise<Awaited<ReturnType<typeof getAccountFor>>> {
    const ctx = ctxOf(req, clock.now());
    const account = await getAccountFor(db, ctx, id);
    if (!canManage(ctx, account)) throw new NotFound();
    if (account.status !== 'disabled' || account.statusReason !== STATUS_REASON_NON_UK_MOBILE) throw new NotFound();
    return account;
  }
}
