import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../platform/http/app.js';
import { ctxOf, isId, queryParam } from '../platform/http/ctx.js';
import { renderPage } from '../platform/http/render.js';
import { NotFound } from '../platform/errors/errors.js';
import { ROLE_LABELS } from './directory.js';
import { getAccountFor, getOrganisationFor, listAccountsFor, listOrganisationsFor } from './directory.commands.js';

const PAGE = 50;

/** Organisation and account pages. Every read goes through a command that applies the actor's scope. */
export function registerDirectoryRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
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

  app.get('/organisations/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    const org = await getOrganisationFor(db, ctxOf(req, clock.now()), id);
    return renderPage(req, reply, config, 'directory/views/organisation.njk', { org });
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

  app.get('/accounts/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    const ctx = ctxOf(req, clock.now());
    const account = await getAccountFor(db, ctx, id);
    const organisation = await getOrganisationFor(db, { ...ctx }, account.organisationId).catch(() => undefined);
    return renderPage(req, reply, config, 'directory/views/account.njk', {
      account, organisation, roleLabels: account.roles.map((g) => ROLE_LABELS[g.role]),
    });
  });
}
