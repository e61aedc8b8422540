import type { FastifyReply } from 'fastify';
import { Conflict, Invalid, RateLimited } from '../errors/errors.js';

/**
 * "Try the command, re-render the form with the problem": the one way a page route turns a
 * refusal the person can act on into the same page again, with the problem shown in place.
 */

/** The refusals a form shows in place; every other error goes to the error page. */
export type ShownKind = 'invalid' | 'conflict' | 'rate-limited';

export interface ShownProblem {
  error: Invalid | Conflict | RateLimited;
  kind: ShownKind;
  /** 400 invalid, 409 conflict, 429 rate-limited (unless the route gives one status for all). */
  status: number;
  /** What the page lists: an Invalid's field problems (its message when it has none), else the message. */
  problems: string[];
}

const ALL_KINDS: readonly ShownKind[] = ['invalid', 'conflict', 'rate-limited'];
const STATUS: Record<ShownKind, number> = { invalid: 400, conflict: 409, 'rate-limited': 429 };

export interface ShownOptions {
  /** Which refusals are shown (default: all three); any other error propagates. */
  kinds?: readonly ShownKind[];
  /** One status for every shown refusal, instead of the kind's own. */
  status?: number;
}

/** The problem to show for `err`, or null when it is not one this page shows. */
export function shownProblem(err: unknown, opts: ShownOptions = {}): ShownProblem | null {
  const kind: ShownKind | null = err instanceof Invalid ? 'invalid' : err instanceof Conflict ? 'conflict' : err instanceof RateLimited ? 'rate-limited' : null;
  if (!kind || !(opts.kinds ?? ALL_KINDS).includes(kind)) return null;
  const error = err as Invalid | Conflict | RateLimited;
  const problems = kind === 'invalid' && error.problems.length ? [...error.problems] : [error.message];
  return { error, kind, status: opts.status ?? STATUS[kind], problems };
}

/**
 * Runs `run` (the command and the reply it makes on success). When it throws a refusal this
 * page shows, sets the reply's status and returns `rerender(problem)`, the form again with
 * the problem; anything else is rethrown unchanged.
 */
export async function tryOrRerender(
  reply: FastifyReply, run: () => Promise<FastifyReply>, rerender: (p: ShownProblem) => Promise<FastifyReply> | FastifyReply, opts: ShownOptions = {},
): Promise<FastifyReply> {
  try {
    return await run();
  } catch (err) {
    const p = shownProblem(err, opts);
    if (!p) throw err;
    reply.code(p.status);
    return rerender(p);
  }
}
