import type { FastifyRequest } from 'fastify';
import { queryParam } from '../platform/http/ctx.js';

/** Small helpers shared by the reports pages. */

/** Checkbox values of a form field (one value arrives as a string, several as an array). */
export function fieldList(body: unknown, name: string): string[] {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string' && x !== '');
}

/** A success or problem message chosen by a code in the query (never text from the URL). */
export function flashOf(req: FastifyRequest, done: Record<string, string>, problems: Record<string, string>): { type: 'success' | 'error'; text: string } | undefined {
  const d = done[queryParam(req, 'done') ?? ''];
  if (d) return { type: 'success', text: d };
  const p = problems[queryParam(req, 'problem') ?? ''];
  return p ? { type: 'error', text: p } : undefined;
}

/** A same-site path under /reports to return to; anything else is the queue. */
export function safeReturn(v: string): string {
  const clean = v.replace(/([?&])(done|problem)=[^&]*/g, '$1').replace(/[?&]+$/, '').replace(/\?&+/, '?');
  return /^\/reports(\/[\w/-]*)?(\?[\x21-\x7e]*)?$/.test(clean) ? clean : '/reports';
}
