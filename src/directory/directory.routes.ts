import type { FastifyInstance } from 'fastify';
import { canVerifyAccount, reviewReadScope } from '../recovery/recovery.policy.js';
import type { RouteDeps } from '../platform/http/plugin.js';
import { Readable } from 'node:stream';
import { csvLine } from '../platform/csv.js';
import { ctxOf, field, isId, queryParam } from '../platform/http/ctx.js';
import { renderPage } from '../platform/http/render.js';
import { Invalid, NotFound } from '../platform/errors/errors.js';
import { ROLE_LABELS } from './directory.js';
import { whyReadOnly } from './directory.policy.js';
import {
  canManage, exportAccountsFor, getAccountFor, getOrganisationFor, listAccountsFor, listOrganisationsFor, updateAccountFor,
} from './directory.commands.js';
import { accountSessionsView } from '../signin/sessions.commands.js';
import { openCaseOfAccountFor } from '../compromise/compromise.case.commands.js';
import { canMarkCompromised } from '../compromise/compromise.policy.js';
import { formatWhen } from '../compromise/compromise.js';
import { mobileRuleOf } from '../phones/phones.commands.js';
import { STATUS_REASON_NON_UK_MOBILE } from '../phones/phones.js';

/** Status reasons in words, for the account page. */
const STATUS_REASON_TEXT: Record<string, string> = { [STATUS_REASON_NON_UK_MOBILE]: 'the registered mobile number is not a UK mobile' };

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
    // Links to the organisation's settings and reviews, for those who may open them (LAs of it, platform admins).
    const scope = reviewReadScope(req.actor!);
    const manages = scope.all || scope.organisationIds.includes(org.id);
    return renderPage(req, reply, config, 'directory/views/organisation.njk', { org, manages });
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

  app.get('/accounts/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    const ctx = ctxOf(req, clock.now());
    const account = await getAccountFor(db, ctx, id);
    const organisation = await getOrganisationFor(db, { ...ctx }, account.organisationId).catch(() => undefined);
    const canEdit = canManage(ctx, account);
    const readOnlyReason = ctx.actor && whyReadOnly(ctx.actor, account);
    return renderPage(req, reply, config, 'directory/views/account.njk', {
      account, organisation, roleLabels: account.roles.map((g) => ROLE_LABELS[g.role]), canEdit, readOnlyReason,
      canVerify: ctx.actor !== null && canVerifyAccount(ctx.actor, account),
      statusReasonText: account.statusReason ? STATUS_REASON_TEXT[account.statusReason] ?? account.statusReason : null,
      canFixMobile: canEdit && account.status === 'disabled' && account.statusReason === STATUS_REASON_NON_UK_MOBILE,
      compromiseCase: await openCaseOfAccountFor(db, ctx, account).then((c) => c && { id: c.id, flaggedAtText: formatWhen(c.flaggedAt) }),
      canMarkCompromised: account.compromisedAt === null && canMarkCompromised(ctx.actor),
      updated: queryParam(req, 'updated') === '1', fixed: queryParam(req, 'fixed') === '1', marked: queryParam(req, 'marked') === '1',
      ...(await accountSessionsView(db, ctx, account, queryParam(req, 'revoked'))),
    });
  });

  app.get('/accounts/:id/edit', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    const ctx = ctxOf(req, clock.now());
    const account = await getAccountFor(db, ctx, id);
    if (!canManage(ctx, account)) throw new NotFound();
    return renderPage(req, reply, config, 'directory/views/account-edit.njk', { account, values: account, disabledForMobile: account.statusReason === STATUS_REASON_NON_UK_MOBILE });
  });

  app.post('/accounts/:id/edit', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    // A form without the mobile field leaves the number alone (an empty field removes it).
    const hasMobile = typeof (req.body as Record<string, unknown> | undefined)?.mobile === 'string';
    const values = { displayName: field(req.body, 'displayName'), businessArea: field(req.body, 'businessArea'), mobile: hasMobile ? field(req.body, 'mobile') : undefined };
    try {
      await updateAccountFor(db, ctxOf(req, clock.now()), id, values, { mobileRule: mobileRuleOf(config), secretKey: config.secretKey });
      return reply.redirect(`/accounts/${id}?updated=1`, 303);
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      const account = await getAccountFor(db, ctxOf(req, clock.now()), id);
      reply.code(400);
      return renderPage(req, reply, config, 'directory/views/account-edit.njk', {
        account, values, problems: err.problems, disabledForMobile: account.statusReason === STATUS_REASON_NON_UK_MOBILE,
        errorList: err.problems.map((text) => ({ text, href: /number/i.test(text) ? '#mobile' : '#displayName' })),
        mobileError: err.problems.find((text) => /number/i.test(text)),
      });
    }
  });
}
