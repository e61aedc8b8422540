import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../platform/http/plugin.js';
import { Readable } from 'node:stream';
import { csvLine } from '../platform/csv.js';
import { ctxOf, field, isId, queryParam } from '../platform/http/ctx.js';
import { renderPage } from '../platform/http/render.js';
import { tryOrRerender } from '../platform/http/rerender.js';
import { NotFound } from '../platform/errors/errors.js';
import { exportAccountsFor, getAccountFor, getOrganisationFor, listAccountsFor, listOrganisationsFor, updateAccountFor } from './directory.commands.js';
import { accountPageFor, getEditableAccountFor, organisationPageFor } from './directory.page.commands.js';
import { mobileRuleOf } from '../phones/phones.commands.js';
import { STATUS_REASON_NON_UK_MOBILE } from '../phones/phones.js';

const PAGE = 50;

function idParam(req: FastifyRequest): string {
  const { id } = req.params as { id: string };
  if (!isId(id)) throw new NotFound();
  return id;
}

/** The lists: organisations, accounts (with the CSV export). */
function registerDirectoryLists(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  app.get('/organisations', async (req, reply) => {
    const search = queryParam(req, 'q')?.slice(0, 100);
    const after = queryParam(req, 'after');
    const orgs = await listOrganisationsFor(db, ctxOf(req, clock.now()), { search, afterName: after, limit: PAGE + 1 });
    const more = orgs.length > PAGE;
    const page = orgs.slice(0, PAGE);
    return renderPage(req, reply, config, 'directory/views/organisations.njk', {
      organisations: page, search, nextAfter: more ? page[page.length - 1]!.name : undefined,
    });
  });

  app.get('/accounts', async (req, reply) => {
    const search = queryParam(req, 'q')?.slice(0, 100);
    const after = queryParam(req, 'after');
    const org = queryParam(req, 'org');
    if (org !== undefined && !isId(org)) throw new NotFound();
    const ctx = ctxOf(req, clock.now());
    const accounts = await listAccountsFor(db, ctx, { search, afterEmail: after, organisationId: org, limit: PAGE + 1 });
    const more = accounts.length > PAGE;
    const page = accounts.slice(0, PAGE);
    const organisation = org ? await getOrganisationFor(db, ctx, org) : undefined;
    return renderPage(req, reply, config, 'directory/views/accounts.njk', {
      accounts: page, search, org, organisation, nextAfter: more ? page[page.length - 1]!.email : undefined,
    });
  });

  app.get('/accounts/export.csv', async (req, reply) => {
    const search = queryParam(req, 'q')?.slice(0, 100);
    const org = queryParam(req, 'org');
    if (org !== undefined && !isId(org)) throw new NotFound();
    const pages = exportAccountsFor(db, ctxOf(req, clock.now()), { search, organisationId: org });
    // Pull the first page before answering, so that a refusal is a proper error page.
    const first = await pages.next();
    async function* lines(): AsyncGenerator<string> {
      yield csvLine(['email', 'display_name', 'organisation_id', 'business_area', 'status', 'status_reason', 'mobile', 'password_changed_at']);
      const emit = (a: Awaited<ReturnType<typeof listAccountsFor>>): string =>
        a.map((x) => csvLine([x.email, x.displayName, x.organisationId, x.businessArea, x.status, x.statusReason, x.mobile, x.passwordChangedAt])).join('');
      if (!first.done) yield emit(first.value);
      for await (const page of pages) yield emit(page);
    }
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="accounts.csv"')
      .header('cache-control', 'no-store')
      .send(Readable.from(lines()));
  });
}

/** Organisation and account pages. Every read goes through a command that applies the actor's scope. */
export function registerDirectoryRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  registerAccountEdit(app, { config, db, clock });
  registerDirectoryLists(app, { config, db, clock });

  app.get('/organisations/:id', async (req, reply) => {
    const page = await organisationPageFor(db, ctxOf(req, clock.now()), idParam(req));
    return renderPage(req, reply, config, 'directory/views/organisation.njk', page);
  });

  app.get('/accounts/:id', async (req, reply) => {
    const page = await accountPageFor(db, ctxOf(req, clock.now()), idParam(req), queryParam(req, 'revoked'));
    return renderPage(req, reply, config, 'directory/views/account.njk', {
      ...page, updated: queryParam(req, 'updated') === '1', fixed: queryParam(req, 'fixed') === '1', marked: queryParam(req, 'marked') === '1',
    });
  });
}

/** One account's edit form (only for those who may change it). */
function registerAccountEdit(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  app.get('/accounts/:id/edit', async (req, reply) => {
    const account = await getEditableAccountFor(db, ctxOf(req, clock.now()), idParam(req));
    return renderPage(req, reply, config, 'directory/views/account-edit.njk', { account, values: account, disabledForMobile: account.statusReason === STATUS_REASON_NON_UK_MOBILE });
  });

  app.post('/accounts/:id/edit', async (req, reply) => {
    const id = idParam(req);
    // A form without the mobile field leaves the number alone (an empty field removes it).
    const hasMobile = typeof (req.body as Record<string, unknown> | undefined)?.mobile === 'string';
    const values = { displayName: field(req.body, 'displayName'), businessArea: field(req.body, 'businessArea'), mobile: hasMobile ? field(req.body, 'mobile') : undefined };
    return tryOrRerender(reply, async () => {
      await updateAccountFor(db, ctxOf(req, clock.now()), id, values, { mobileRule: mobileRuleOf(config), secretKey: config.secretKey });
      return reply.redirect(`/accounts/${id}?updated=1`, 303);
    }, async (p) => {
      const account = await getAccountFor(db, ctxOf(req, clock.now()), id);
      const problems = p.error.problems;
      return renderPage(req, reply, config, 'directory/views/account-edit.njk', {
        account, values, problems, disabledForMobile: account.statusReason === STATUS_REASON_NON_UK_MOBILE,
        errorList: problems.map((text) => ({ text, href: /number/i.test(text) ? '#mobile' : '#displayName' })),
        mobileError: problems.find((text) => /number/i.test(text)),
      });
    }, { kinds: ['invalid'] });
  });
}
