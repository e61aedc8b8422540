import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../platform/http/plugin.js';
import { ctxOf, isId } from '../platform/http/ctx.js';
import { NotFound } from '../platform/errors/errors.js';
import { ingestReport } from './reports.commands.js';
import { cursorOf, getReportFor, listReportsFor, parseCursor } from './reports.queries.js';

/** A clear 413 before reading a body that announces more than the limit. */
export function refuseOversizedReport(max: number): (req: FastifyRequest) => Promise<void> {
  return async (req) => {
    const length = Number(req.headers['content-length'] ?? 0);
    if (req.method === 'POST' && length > max) {
      throw Object.assign(new Error(`The report is too large: ${(length / 1048576).toFixed(1)} MB, the limit is ${(max / 1048576).toFixed(1)} MB.`), { statusCode: 413 });
    }
  };
}

/**
 * Registers a raw-bytes parser for report bodies in this encapsulated scope only, with the
 * report size limit; a parser another plugin set for these types higher up is replaced
 * here, not changed there.
 */
export function acceptRawReports(scope: FastifyInstance, maxBytes: number): void {
  for (const type of REPORT_BODY_TYPES) if (scope.hasContentTypeParser(type)) scope.removeContentTypeParser(type);
  scope.addContentTypeParser(REPORT_BODY_TYPES, { parseAs: 'buffer', bodyLimit: maxBytes }, (_req, body, done) => done(null, body));
  scope.addHook('onRequest', refuseOversizedReport(maxBytes));
}

/** Content types a report body may have: the message itself, or an Outlook file. */
export const REPORT_BODY_TYPES = ['message/rfc822', 'application/octet-stream', 'application/vnd.ms-outlook'];

const error = { type: 'object', properties: { error: { type: 'string' }, message: { type: 'string' }, problems: { type: 'array', items: { type: 'string' } }, requestId: { type: 'string' } } } as const;
const errors = { 400: error, 401: error, 403: error, 404: error, 413: error, 429: error };
const anyObject = { type: 'object', additionalProperties: true } as const;
const sample = {
  type: 'object',
  properties: {
    id: { type: 'string' }, sha256: { type: 'string' }, format: { type: 'string' }, subject: { type: 'string' }, sender: { type: 'string', nullable: true },
    status: { type: 'string' }, verdict: { type: 'string', nullable: true }, campaignId: { type: 'string', nullable: true }, headersLost: { type: 'boolean' },
    indicators: anyObject,
  },
} as const;
const report = {
  type: 'object',
  properties: {
    id: { type: 'string' }, receivedAt: { type: 'string' }, via: { type: 'string' }, reporter: { type: 'string' }, reporterVerified: { type: 'boolean' },
    kind: { type: 'string' }, headersLost: { type: 'boolean' }, problems: { type: 'array', items: { type: 'string' } },
    arf: { ...anyObject, nullable: true }, samples: { type: 'array', items: sample },
  },
} as const;

/**
 * Phishing report API under /api/v1. POST takes the reported message as the raw body
 * (`message/rfc822`, or an Outlook .msg as `application/octet-stream`) with the
 * reporter's token. GET lists and reads reports: every report for CSOC tokens (with
 * indicators), one's own for anyone else (without).
 */
export function registerReportApi(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  const auth = { auth: 'token' as const };
  void app.register(async (api) => {
    acceptRawReports(api, config.reportMaxBytes);

    api.post('/reports', {
      config: auth,
      bodyLimit: config.reportMaxBytes,
      schema: {
        tags: ['reports'], summary: 'Report a suspicious message (the raw message, or an Outlook .msg file, as the body)',
        querystring: { type: 'object', properties: { filename: { type: 'string', maxLength: 255 } } },
        response: {
          201: { type: 'object', properties: { reportId: { type: 'string' }, kind: { type: 'string' }, headersLost: { type: 'boolean' }, problems: { type: 'array', items: { type: 'string' } }, samples: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, sha256: { type: 'string' }, format: { type: 'string' }, duplicate: { type: 'boolean' } } } } } },
          ...errors,
        },
      },
    }, async (req, reply) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const actor = req.actor!;
      const { filename } = req.query as { filename?: string };
      const r = await ingestReport(db, config, ctxOf(req, clock.now(), 'api'), body, {
        via: 'api', reporterAddress: actor.email.toLowerCase(), reporterAccountId: actor.accountId, remoteAddress: req.ip, direct: true, filename: filename ?? null,
      });
      req.log.info({ reportId: r.reportId, samples: r.samples.length, actorId: actor.accountId }, 'report received');
      return reply.code(201).send(r);
    });

    api.get('/reports', {
      config: auth,
      schema: {
        tags: ['reports'], summary: 'Reports, newest first: all of them for CSOC tokens, your own otherwise (keyset paging with `before`)',
        querystring: { type: 'object', properties: { before: { type: 'string' }, organisationId: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 } } },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: report }, next: { type: 'string', nullable: true } } }, ...errors },
      },
    }, async (req) => {
      const q = req.query as { before?: string; organisationId?: string; limit: number };
      if (q.organisationId !== undefined && !isId(q.organisationId)) throw new NotFound();
      const items = await listReportsFor(db, ctxOf(req, clock.now(), 'api'), { before: parseCursor(q.before), organisationId: q.organisationId, limit: q.limit });
      return { items, next: items.length === q.limit ? cursorOf(items[items.length - 1]!) : null };
    });

    api.get('/reports/:id', {
      config: auth,
      schema: { tags: ['reports'], summary: 'One report with its samples (SHA-256, subject, sender, indicators)', params: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } }, response: { 200: report, ...errors } },
    }, async (req) => {
      const { id } = req.params as { id: string };
      if (!isId(id)) throw new NotFound();
      return getReportFor(db, ctxOf(req, clock.now(), 'api'), id);
    });
  });
}
