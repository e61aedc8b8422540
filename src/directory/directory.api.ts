import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../platform/http/plugin.js';
import { ctxOf, isId } from '../platform/http/ctx.js';
import { NotFound } from '../platform/errors/errors.js';
import { getAccountFor, getOrganisationFor, listAccountsFor, listOrganisationsFor } from './directory.commands.js';
import { setAccountMobileFor } from '../phones/phones.commands.js';

const account = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' }, organisationId: { type: 'string', format: 'uuid' }, email: { type: 'string' },
    displayName: { type: 'string' }, businessArea: { type: 'string' }, status: { type: 'string', enum: ['active', 'disabled', 'locked'] },
    statusReason: { type: 'string', nullable: true }, mobile: { type: 'string', nullable: true }, passwordChangedAt: { type: 'string', nullable: true },
    mustChangePassword: { type: 'boolean' }, compromisedAt: { type: 'string', nullable: true }, createdAt: { type: 'string' }, updatedAt: { type: 'string' },
    roles: { type: 'array', items: { type: 'object', properties: { role: { type: 'string' }, scope: { type: 'string' } } } },
  },
} as const;
const organisation = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' }, code: { type: 'string' }, name: { type: 'string' }, domains: { type: 'array', items: { type: 'string' } },
    highRiskAreas: { type: 'array', items: { type: 'string' } }, laContact: { type: 'string' }, accountCount: { type: 'integer' },
    createdAt: { type: 'string' }, updatedAt: { type: 'string' },
  },
} as const;
const error = { type: 'object', properties: { error: { type: 'string' }, message: { type: 'string' }, problems: { type: 'array', items: { type: 'string' } }, requestId: { type: 'string' } } } as const;
const errors = { 400: error, 401: error, 403: error, 404: error, 409: error };
const idParam = { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } as const;
const page = (item: object) => ({ type: 'object', properties: { items: { type: 'array', items: item }, next: { type: 'string', nullable: true } } });

const auth = { auth: 'token' as const };

/** Options of GET /accounts: token auth and the schema that validates it and documents it. */
const ACCOUNTS_ROUTE = {
  config: auth,
  schema: {
    tags: ['directory'], summary: 'Accounts in scope, ordered by email address (keyset paging with `after`)',
    querystring: { type: 'object', properties: { q: { type: 'string', maxLength: 100 }, organisationId: { type: 'string' }, after: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 } } },
    response: { 200: page(account), ...errors },
  },
};

/** Options of PUT /accounts/:id/mobile: token auth and the schema that validates it and documents it. */
const MOBILE_ROUTE = {
  config: auth,
  schema: {
    tags: ['directory'],
    summary: 'Set or remove an account\'s mobile number (LAs in their organisations, platform admins). Must be a UK mobile; stored in E.164; a refusal says why in `problems`',
    params: idParam,
    body: { type: 'object', required: ['mobile'], additionalProperties: false, properties: { mobile: { type: 'string', nullable: true, maxLength: 40 } } },
    response: { 200: { type: 'object', properties: { mobile: { type: 'string', nullable: true } } }, ...errors },
  },
};

/** Options of GET /organisations: token auth and the schema that validates it and documents it. */
const ORGANISATIONS_ROUTE = {
  config: auth,
  schema: {
    tags: ['directory'], summary: 'Organisations in scope, ordered by name',
    querystring: { type: 'object', properties: { q: { type: 'string', maxLength: 100 }, after: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 } } },
    response: { 200: page(organisation), ...errors },
  },
};

/**
 * The JSON directory API under /api/v1. Bearer tokens only; results are scoped exactly
 * like the token's account would see them in the portal.
 */
export function registerDirectoryApi(api: FastifyInstance, { config, db, clock }: RouteDeps): void {
  api.get('/me', { config: auth, schema: { tags: ['directory'], summary: 'The token\'s own account', response: { 200: account, ...errors } } }, async (req) =>
    getAccountFor(db, ctxOf(req, clock.now(), 'api'), req.actor!.accountId),
  );

  api.get('/accounts', ACCOUNTS_ROUTE, async (req) => {
    const q = req.query as { q?: string; organisationId?: string; after?: string; limit: number };
    if (q.organisationId !== undefined && !isId(q.organisationId)) throw new NotFound();
    const items = await listAccountsFor(db, ctxOf(req, clock.now(), 'api'), { search: q.q, organisationId: q.organisationId, afterEmail: q.after, limit: q.limit });
    return { items, next: items.length === q.limit ? items[items.length - 1]!.email : null };
  });

  api.get('/accounts/:id', { config: auth, schema: { tags: ['directory'], summary: 'One account', params: idParam, response: { 200: account, ...errors } } }, async (req) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    return getAccountFor(db, ctxOf(req, clock.now(), 'api'), id);
  });

  api.put('/accounts/:id/mobile', MOBILE_ROUTE, async (req) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    const { mobile } = req.body as { mobile: string | null };
    return { mobile: await setAccountMobileFor(db, ctxOf(req, clock.now(), 'api'), config, id, mobile) };
  });

  api.get('/organisations', ORGANISATIONS_ROUTE, async (req) => {
    const q = req.query as { q?: string; after?: string; limit: number };
    const items = await listOrganisationsFor(db, ctxOf(req, clock.now(), 'api'), { search: q.q, afterName: q.after, limit: q.limit });
    return { items, next: items.length === q.limit ? items[items.length - 1]!.name : null };
  });

  api.get('/organisations/:id', { config: auth, schema: { tags: ['directory'], summary: 'One organisation', params: idParam, response: { 200: organisation, ...errors } } }, async (req) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    return getOrganisationFor(db, ctxOf(req, clock.now(), 'api'), id);
  });
}
