import type { FastifyRequest } from 'fastify';
import type { Ctx } from '../context.js';

/** The command context of an HTTP request. */
export function ctxOf(req: FastifyRequest, now: Date, via: Ctx['via'] = 'web'): Ctx {
  return { actor: req.actor, via, ip: req.ip, requestId: req.id, now };
}

/** A string field of a parsed form body ('' when absent or not a string). */
export function field(body: unknown, name: string): string {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : '';
}

/** A string query parameter, or undefined. */
export function queryParam(req: FastifyRequest, name: string): string | undefined {
  const v = (req.query as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Whether a path parameter looks like one of our ids (anything else is simply a 404). */
export function isId(v: unknown): v is string {
  return typeof v === 'string' && UUID.test(v);
}
