import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../platform/http/plugin.js';
import { ctxOf, isId } from '../platform/http/ctx.js';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { Invalid, NotFound } from '../platform/errors/errors.js';
import { gapOf } from './coverage.js';
import { getCoverageFor, listMissingFor } from './coverage.commands.js';
import {
  confirmAreaRequirement, confirmListRequirement, previewAreaRequirement, previewListRequirement, type AffectedAccount,
} from './coverage.require.commands.js';

/** Most affected accounts listed in a response; affectedCount is always exact. */
const API_ROWS = 1000;

const error = { type: 'object', properties: { error: { type: 'string' }, message: { type: 'string' }, problems: { type: 'array', items: { type: 'string' } }, requestId: { type: 'string' } } } as const;
const errors = { 400: error, 401: error, 403: error, 404: error, 409: error };
const counts = {
  total: { type: 'integer' }, required: { type: 'integer' }, requiredEnrolled: { type: 'integer' }, requiredNotEnrolled: { type: 'integer' }, enrolled: { type: 'integer' },
} as const;
const coverage = {
  type: 'object',
  properties: {
    organisation: {
      type: 'object',
      properties: { id: { type: 'string', format: 'uuid' }, code: { type: 'string' }, name: { type: 'string' }, highRiskAreas: { type: 'array', items: { type: 'string' } } },
    },
    areas: { type: 'array', items: { type: 'object', properties: { businessArea: { type: 'string' }, highRisk: { type: 'boolean' }, ...counts } } },
    totals: { type: 'object', properties: counts },
  },
} as const;
const missingAccount = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' }, email: { type: 'string' }, displayName: { type: 'string' }, businessArea: { type: 'string' },
    reasons: { type: 'array', items: { type: 'string', enum: ['high-risk-area', 'privileged-role', 'compromised', 'marked'] } },
  },
} as const;
const affectedAccount = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' }, organisationId: { type: 'string', format: 'uuid' }, email: { type: 'string' }, displayName: { type: 'string' },
    businessArea: { type: 'string' }, requiredBefore: { type: 'boolean' }, line: { type: 'integer' },
  },
} as const;
const requireResult = {
  type: 'object',
  properties: {
    kind: { type: 'string', enum: ['area', 'emails'] },
    dryRun: { type: 'boolean' },
    applied: { type: 'boolean', description: 'Whether anything was changed' },
    organisationId: { type: 'string', nullable: true },
    businessArea: { type: 'string', nullable: true },
    alreadyHighRisk: { type: 'boolean' },
    affectedCount: { type: 'integer' },
    affected: { type: 'array', items: affectedAccount, description: `At most ${API_ROWS} accounts; affectedCount is exact` },
    alreadyMarkedCount: { type: 'integer' },
    notFound: { type: 'array', description: 'Addresses not found in your organisations (position is 1-based)', items: { type: 'object', properties: { position: { type: 'integer' }, email: { type: 'string' } } } },
    invalid: { type: 'array', items: { type: 'object', properties: { position: { type: 'integer' }, text: { type: 'string' } } } },
  },
} as const;

const auth = { auth: 'token' as const };

const REQUIRE_ROUTE = {
  config: auth,
  schema: {
    tags: ['mfa'],
    summary: 'Require MFA for a business area ({organisationId, businessArea}) or a list of addresses ({emails}); dryRun previews without changing anything',
    body: {
      type: 'object',
      required: ['dryRun'],
      additionalProperties: false,
      properties: {
        dryRun: { type: 'boolean' },
        organisationId: { type: 'string' },
        businessArea: { type: 'string', maxLength: 200 },
        emails: { type: 'array', maxItems: 5000, items: { type: 'string', maxLength: 320 } },
        expectedAffected: { type: 'integer', minimum: 0, description: 'The affectedCount of your dry run: the change is refused (409) if it is now different' },
      },
    },
    response: { 200: requireResult, ...errors },
  },
};

type RequireBody = { dryRun: boolean; organisationId?: string; businessArea?: string; emails?: string[]; expectedAffected?: number };

/** Requires MFA (or previews it) for a business area or a list of addresses, in the API's shape. @throws Invalid, NotFound, Forbidden, Conflict */
async function requireMfa(db: Db, ctx: Ctx, b: RequireBody): Promise<Record<string, unknown>> {
  const rows = (list: AffectedAccount[]): AffectedAccount[] => list.slice(0, API_ROWS);
  if (b.emails !== undefined) {
    if (b.organisationId !== undefined || b.businessArea !== undefined) throw new Invalid('Send either emails or organisationId and businessArea, not both.');
    // Each array item is one "line", so positions match the array.
    const text = b.emails.map((e) => e.replace(/[\r\n]/g, ' ')).join('\n');
    const r = b.dryRun ? await previewListRequirement(db, ctx, { text }) : await confirmListRequirement(db, ctx, { text, expectedAffected: b.expectedAffected });
    return {
      kind: 'emails', dryRun: b.dryRun, applied: r.applied, organisationId: null, businessArea: null, alreadyHighRisk: false,
      affectedCount: r.affected.length, affected: rows(r.affected), alreadyMarkedCount: r.alreadyMarked.length,
      notFound: r.notFound.map((p) => ({ position: p.line, email: p.email })), invalid: r.invalid.map((p) => ({ position: p.line, text: p.text })),
    };
  }
  if (b.organisationId === undefined || b.businessArea === undefined) throw new Invalid('Send organisationId and businessArea, or emails.');
  if (!isId(b.organisationId)) throw new NotFound();
  const input = { organisationId: b.organisationId, businessArea: b.businessArea };
  const r = b.dryRun ? await previewAreaRequirement(db, ctx, input) : await confirmAreaRequirement(db, ctx, { ...input, expectedAffected: b.expectedAffected });
  return {
    kind: 'area', dryRun: b.dryRun, applied: r.applied, organisationId: r.organisation.id, businessArea: r.businessArea, alreadyHighRisk: r.alreadyHighRisk,
    affectedCount: r.affected.length, affected: rows(r.affected), alreadyMarkedCount: 0, notFound: [], invalid: [],
  };
}

/**
 * The JSON MFA coverage API under /api/v1. Bearer tokens only (no CSRF); results are
 * scoped exactly like the token's account would see them in the portal.
 */
export function registerCoverageApi(api: FastifyInstance, { db, clock }: RouteDeps): void {
  api.get('/mfa/coverage', {
    config: auth,
    schema: {
      tags: ['mfa'], summary: 'MFA coverage per business area of one organisation (default: your first)',
      querystring: { type: 'object', properties: { organisationId: { type: 'string' }, q: { type: 'string', maxLength: 100 }, gapsOnly: { type: 'boolean', default: false } } },
      response: { 200: coverage, ...errors },
    },
  }, async (req) => {
    const q = req.query as { organisationId?: string; q?: string; gapsOnly: boolean };
    if (q.organisationId !== undefined && !isId(q.organisationId)) throw new NotFound();
    const view = await getCoverageFor(db, ctxOf(req, clock.now(), 'api'), { organisationId: q.organisationId, search: q.q, gapsOnly: q.gapsOnly });
    return {
      organisation: view.organisation,
      areas: view.areas.map((a) => ({ ...a, requiredNotEnrolled: gapOf(a) })),
      totals: { ...view.totals, requiredNotEnrolled: gapOf(view.totals) },
    };
  });

  api.get('/mfa/coverage/missing', {
    config: auth,
    schema: {
      tags: ['mfa'], summary: 'Accounts that must use MFA and have not enrolled, by address (keyset paging with `after`)',
      querystring: {
        type: 'object',
        properties: { organisationId: { type: 'string' }, q: { type: 'string', maxLength: 100 }, after: { type: 'string', maxLength: 320 }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
      },
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: missingAccount }, next: { type: 'string', nullable: true } } }, ...errors },
    },
  }, async (req) => {
    const q = req.query as { organisationId?: string; q?: string; after?: string; limit: number };
    if (q.organisationId !== undefined && !isId(q.organisationId)) throw new NotFound();
    const items = await listMissingFor(db, ctxOf(req, clock.now(), 'api'), { organisationId: q.organisationId, areaSearch: q.q, afterEmail: q.after, limit: q.limit });
    return { items, next: items.length === q.limit ? items[items.length - 1]!.email : null };
  });

  api.post('/mfa/require', REQUIRE_ROUTE, async (req) => requireMfa(db, ctxOf(req, clock.now(), 'api'), req.body as RequireBody));
}
