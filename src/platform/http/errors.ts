import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/config.js';
import { DomainError, httpStatusFor, RateLimited } from '../errors/errors.js';
import { layoutContext } from './render.js';

function wantsJson(req: FastifyRequest): boolean {
  return req.url.startsWith('/api/') || req.url === '/healthz';
}

async function renderError(req: FastifyRequest, reply: FastifyReply, config: Config, status: number, detail: { message?: string; problems?: readonly string[] } = {}): Promise<FastifyReply> {
  const template = status === 404 ? 'errors/404.njk' : status === 403 ? 'errors/403.njk' : status === 429 ? 'errors/429.njk'
    : status >= 400 && status < 500 && detail.message ? 'errors/problem.njk' : 'errors/500.njk';
  let ctx: Record<string, unknown>;
  try {
    ctx = layoutContext(req, reply, config);
  } catch {
    ctx = { serviceName: config.serviceName, helpdesk: { phone: config.helpdeskPhone, email: config.helpdeskEmail, hours: config.helpdeskHours } };
  }
  return reply.code(status).type('text/html; charset=utf-8').view(template, { ...ctx, requestId: req.id, message: detail.message, problems: detail.problems ?? [] });
}

/**
 * Maps domain errors to statuses and pages. Error pages and bodies never carry stack
 * traces, SQL, or whether a record exists outside the caller's scope (that is a 404
 * like any other). Unexpected errors are logged with the request id and shown as 500
 * with only that id.
 */
export function registerErrorHandling(app: FastifyInstance, config: Config): void {
  app.setErrorHandler(async (err: FastifyError | DomainError | Error, req, reply) => {
    let status: number;
    let code: string;
    let message: string;
    let problems: readonly string[] = [];
    if (err instanceof DomainError) {
      status = httpStatusFor[err.code];
      code = err.code;
      message = err.message;
      problems = err.problems;
      if (err instanceof RateLimited) reply.header('retry-after', String(err.retryAfterSeconds));
    } else if ('statusCode' in err && typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      status = err.statusCode;
      code = status === 403 ? 'forbidden' : status === 429 ? 'rate_limited' : status === 404 ? 'not_found' : 'invalid';
      // Fastify's own 4xx messages (validation, CSRF, rate limit) are safe to show.
      message = status === 403 ? 'The form has expired or was not sent from this site. Go back, reload the page and try again.' : err.message;
    } else {
      req.log.error({ err }, 'request failed');
      status = 500;
      code = 'internal';
      message = `Something went wrong. Reference: ${req.id}`;
    }
    if (status === 401 && !wantsJson(req)) return reply.redirect('/signin', 303);
    if (wantsJson(req)) return reply.code(status).send({ error: code, message, problems, requestId: req.id });
    return renderError(req, reply, config, status, status < 500 ? { message, problems } : {});
  });

  app.setNotFoundHandler(async (req, reply) => {
    if (wantsJson(req)) return reply.code(404).send({ error: 'not_found', message: 'Not found', problems: [], requestId: req.id });
    return renderError(req, reply, config, 404);
  });
}
