import type { FastifyInstance } from 'fastify';
import { NotFound } from '../platform/errors/errors.js';
import type { RouteDeps } from '../platform/http/plugin.js';
import { ctxOf, isId } from '../platform/http/ctx.js';
import { getCaseFor, listCasesFor } from './compromise.case.commands.js';
import { markCompromised } from './compromise.commands.js';

const error = { type: 'object', properties: { error: { type: 'string' }, message: { type: 'string' }, problems: { type: 'array', items: { type: 'string' } }, requestId: { type: 'string' } } } as const;
const errors = { 400: error, 401: error, 403: error, 404: error, 409: error };
const caseSummary = {
  type: 'object',
  properties: {
    id: { type: 'string' }, accountId: { type: 'string' }, email: { type: 'string' }, organisationId: { type: 'string' }, organisationName: { type: 'string' },
    status: { type: 'string', enum: ['open', 'closed'] }, flaggedAt: { type: 'string' }, reason: { type: 'string' }, evidenceRef: { type: 'string' },
    openedBy: { type: 'string' }, closedAt: { type: 'string', nullable: true }, escalatedAt: { type: 'string', nullable: true }, age: { type: 'string' }, overdue: { type: 'boolean' },
  },
} as const;
const check = { type: 'object', properties: { done: { type: 'boolean' }, text: { type: 'string' } } } as const;

const auth = { auth: 'token' as const };

/** Options of POST /compromise/marks: token auth and the schema that validates it and documents it. */
const MARK_ROUTE = {
  config: auth,
  schema: {
    tags: ['compromise'],
    summary: 'Mark an account compromised: every session and API token revoked, password change and MFA required, a case opened and its LAs notified, in one transaction',
    body: {
      type: 'object', additionalProperties: false, required: ['reason', 'evidenceRef'],
      properties: {
        email: { type: 'string', maxLength: 254 }, accountId: { type: 'string' }, reason: { type: 'string', maxLength: 500 }, evidenceRef: { type: 'string', maxLength: 200 },
        invalidatePassword: { type: 'boolean', default: false, description: 'also stop the current password working (a verified helpdesk reset is then needed)' },
      },
    },
    response: {
      201: { type: 'object', properties: { caseId: { type: 'string' }, accountId: { type: 'string' }, sessions: { type: 'integer' }, tokens: { type: 'integer' }, devices: { type: 'integer' }, notified: { type: 'integer' } } },
      ...errors,
    },
  },
};

/** Options of GET /compromise/cases: token auth and the schema that validates it and documents it. */
const CASES_ROUTE = {
  config: auth,
  schema: {
    tags: ['compromise'], summary: 'Compromised-account cases in scope (open: oldest first; closed: newest first)',
    querystring: { type: 'object', properties: { status: { type: 'string', enum: ['open', 'closed'], default: 'open' }, organisationId: { type: 'string' } } },
    response: { 200: { type: 'object', properties: { items: { type: 'array', items: caseSummary } } }, ...errors },
  },
};

/** Options of GET /compromise/cases/:id: token auth and the schema that validates it and documents it. */
const CASE_ROUTE = {
  config: auth,
  schema: {
    tags: ['compromise'], summary: 'One case with the checklist the system computes',
    params: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
    response: {
      200: {
        type: 'object',
        properties: {
          case: caseSummary, email: { type: 'string' }, complete: { type: 'boolean' }, remaining: { type: 'array', items: { type: 'string' } },
          password: check, mfa: check,
          devices: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, deviceId: { type: 'string', nullable: true }, userAgent: { type: 'string' }, ips: { type: 'array', items: { type: 'string' } }, firstSeen: { type: 'string' }, lastSeen: { type: 'string' }, done: { type: 'boolean' }, text: { type: 'string' } } } },
        },
      },
      ...errors,
    },
  },
};

/**
 * Compromise API under /api/v1: mark an account compromised (CSOC and platform admins),
 * list and read cases (scoped like the portal: LAs see their organisations' cases).
 */
export function registerCompromiseApi(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  app.post('/compromise/marks', MARK_ROUTE, async (req, reply) => {
    const body = req.body as { email?: string; accountId?: string; reason: string; evidenceRef: string; invalidatePassword?: boolean };
    if (body.accountId !== undefined && !isId(body.accountId)) throw new NotFound();
    if (!body.accountId && !body.email) throw new NotFound('Give the account by email or accountId');
    const r = await markCompromised(db, ctxOf(req, clock.now(), 'api'), config, body);
    return reply.code(201).send(r);
  });

  app.get('/compromise/cases', CASES_ROUTE, async (req) => {
    const q = req.query as { status: 'open' | 'closed'; organisationId?: string };
    if (q.organisationId !== undefined && !isId(q.organisationId)) throw new NotFound();
    return { items: await listCasesFor(db, ctxOf(req, clock.now(), 'api'), { status: q.status, organisationId: q.organisationId, escalationHours: config.compromiseEscalationHours }) };
  });

  app.get('/compromise/cases/:id', CASE_ROUTE, async (req) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    const v = await getCaseFor(db, ctxOf(req, clock.now(), 'api'), id, config.compromiseEscalationHours);
    return {
      case: { ...v.case, email: v.account.email, organisationName: v.organisationName, age: v.age, overdue: v.overdue }, email: v.account.email,
      complete: v.checklist.complete, remaining: v.checklist.remaining, password: v.checklist.password, mfa: v.checklist.mfa,
      devices: v.devices.map((d) => ({ id: d.id, deviceId: d.deviceId, userAgent: d.userAgent, ips: d.ips, firstSeen: d.firstSeen, lastSeen: d.lastSeen, done: d.status.done, text: d.status.text })),
    };
  });
}
