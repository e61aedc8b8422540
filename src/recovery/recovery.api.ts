import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../platform/http/plugin.js';
import { ctxOf, isId } from '../platform/http/ctx.js';
import { NotFound } from '../platform/errors/errors.js';
import { answerChallenge, startVerification } from './console.commands.js';
import { resetPassword } from './reset.commands.js';
import { resetReview } from './review.commands.js';
import { passSecondFactor, sendVerificationSms } from './second-factor.commands.js';

const error = { type: 'object', properties: { error: { type: 'string' }, message: { type: 'string' }, problems: { type: 'array', items: { type: 'string' } }, requestId: { type: 'string' } } } as const;
const errors = { 400: error, 401: error, 403: error, 404: error, 409: error, 429: error };
const idParam = { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } as const;
const reset = {
  type: 'object',
  properties: {
    id: { type: 'string' }, at: { type: 'string' }, accountId: { type: 'string' }, accountEmail: { type: 'string' }, accountName: { type: 'string' },
    channel: { type: 'string', enum: ['helpdesk', 'la', 'self-service'] }, agentEmail: { type: 'string', nullable: true }, agentName: { type: 'string', nullable: true },
    agentOrganisationName: { type: 'string', nullable: true }, verificationId: { type: 'string' }, failedBefore: { type: 'integer' }, outcome: { type: 'string' },
    secondFactor: { type: 'string', enum: ['totp', 'sms', 'none'] }, delivery: { type: 'string', enum: ['shown', 'sms'] }, ticket: { type: 'string', nullable: true },
    privileged: { type: 'boolean' }, highRisk: { type: 'boolean' }, flags: { type: 'array', items: { type: 'string' } },
  },
} as const;

function id(req: FastifyRequest): string {
  const { id: v } = req.params as { id: string };
  if (!isId(v)) throw new NotFound();
  return v;
}

const auth = { auth: 'token' as const };
const tags = ['recovery'];

/** Options of GET /recovery/resets: token auth and the schema that validates it and documents it. */
const RESETS_ROUTE = {
  config: auth,
  schema: {
    tags, summary: 'Password resets of one organisation over a period (dates in UTC, inclusive), with review flags',
    querystring: { type: 'object', properties: { organisationId: { type: 'string' }, from: { type: 'string', maxLength: 10 }, to: { type: 'string', maxLength: 10 } } },
    response: { 200: { type: 'object', properties: { organisationId: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, truncated: { type: 'boolean' }, items: { type: 'array', items: reset } } }, ...errors },
  },
};

/** Options of POST /recovery/accounts/:id/verification: token auth and the schema that validates it and documents it. */
const START_ROUTE = {
  config: auth,
  schema: {
    tags, summary: 'Start (or continue) verification: the challenge to ask the caller; the same until it is answered', params: idParam,
    response: { 200: { type: 'object', properties: { challengeId: { type: 'string' }, items: { type: 'array', items: { type: 'object', properties: { question: { type: 'string' }, position: { type: 'integer' } } } } } }, ...errors },
  },
};

/** Options of POST /recovery/accounts/:id/verification/answer: token auth and the schema that validates it and documents it. */
const ANSWER_ROUTE = {
  config: auth,
  schema: {
    tags, summary: 'The characters the caller gave, in challenge order (1-based positions). Pass or fail only.', params: idParam,
    body: { type: 'object', required: ['challengeId', 'characters'], properties: { challengeId: { type: 'string', maxLength: 64 }, characters: { type: 'array', maxItems: 4, items: { type: 'string', maxLength: 8 } } } },
    response: { 200: { type: 'object', properties: { passed: { type: 'boolean' }, verificationId: { type: 'string' }, next: { type: 'string', nullable: true }, attemptsLeft: { type: 'integer' }, lockedUntil: { type: 'string', nullable: true } } }, ...errors },
  },
};

/** Options of POST /recovery/verifications/:id/sms: token auth and the schema that validates it and documents it. */
const SMS_ROUTE = {
  config: auth,
  schema: { tags, summary: 'Send a one-time code by SMS to the registered mobile', params: idParam, response: { 200: { type: 'object', properties: { mobileEnding: { type: 'string' } } }, ...errors } },
};

/** Options of POST /recovery/verifications/:id/second-factor: token auth and the schema that validates it and documents it. */
const SECOND_FACTOR_ROUTE = {
  config: auth,
  schema: {
    tags, summary: 'Check the second factor: a code from the caller\'s authenticator app (totp) or the code sent by SMS', params: idParam,
    body: { type: 'object', required: ['kind', 'code'], properties: { kind: { type: 'string', enum: ['totp', 'sms'] }, code: { type: 'string', maxLength: 12 } } },
    response: { 200: { type: 'object', properties: { passed: { type: 'boolean' }, attemptsLeft: { type: 'integer' }, lockedUntil: { type: 'string', nullable: true } } }, ...errors },
  },
};

/** Options of POST /recovery/verifications/:id/reset: token auth and the schema that validates it and documents it. */
const RESET_ROUTE = {
  config: auth,
  schema: {
    tags, summary: 'Reset the password with a passed verification (single use). The temporary password is returned once, or sent by SMS.', params: idParam,
    body: { type: 'object', required: ['ticket', 'delivery'], properties: { ticket: { type: 'string', maxLength: 64 }, delivery: { type: 'string', enum: ['shown', 'sms'] } } },
    response: { 200: { type: 'object', properties: { resetId: { type: 'string' }, temporaryPassword: { type: 'string', nullable: true }, delivery: { type: 'string' } } }, ...errors },
  },
};

/**
 * The recovery API under /api/v1: the reset review, and the same verify-then-reset flow
 * as the console for helpdesk tools. A verification made through the API can only be
 * used through the API by the same agent (and one made in the portal only in that portal
 * session): there is no reset without one.
 */
export function registerRecoveryApi(api: FastifyInstance, { config, db, clock }: RouteDeps): void {
  api.get('/recovery/resets', RESETS_ROUTE, async (req) => {
    const q = req.query as { organisationId?: string; from?: string; to?: string };
    if (q.organisationId !== undefined && !isId(q.organisationId)) throw new NotFound();
    const r = await resetReview(db, ctxOf(req, clock.now(), 'api'), config, { organisationId: q.organisationId, from: q.from, to: q.to });
    return { organisationId: r.organisation.id, from: r.period.from, to: r.period.to, truncated: r.truncated, items: r.rows };
  });

  api.post('/recovery/accounts/:id/verification', START_ROUTE, async (req) => {
    const c = await startVerification(db, ctxOf(req, clock.now(), 'api'), config, id(req));
    return { challengeId: c.id, items: c.items.map((i) => ({ question: i.question, position: i.position })) };
  });

  api.post('/recovery/accounts/:id/verification/answer', ANSWER_ROUTE, async (req) => {
    const b = req.body as { challengeId: string; characters: string[] };
    return answerChallenge(db, ctxOf(req, clock.now(), 'api'), config, { accountId: id(req), challengeId: b.challengeId, characters: b.characters, flow: null });
  });

  api.post('/recovery/verifications/:id/sms', SMS_ROUTE, async (req) => sendVerificationSms(db, ctxOf(req, clock.now(), 'api'), config, { verificationId: id(req), flow: null }));

  api.post('/recovery/verifications/:id/second-factor', SECOND_FACTOR_ROUTE, async (req) => {
    const b = req.body as { kind: 'totp' | 'sms'; code: string };
    return passSecondFactor(db, ctxOf(req, clock.now(), 'api'), config, { verificationId: id(req), flow: null, kind: b.kind, code: b.code });
  });

  api.post('/recovery/verifications/:id/reset', RESET_ROUTE, async (req, reply) => {
    const b = req.body as { ticket: string; delivery: 'shown' | 'sms' };
    reply.header('cache-control', 'no-store');
    return resetPassword(db, ctxOf(req, clock.now(), 'api'), config, { verificationId: id(req), flow: null, ticket: b.ticket, delivery: b.delivery });
  });
}
