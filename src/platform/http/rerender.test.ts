import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { Conflict, Forbidden, Invalid, RateLimited } from '../errors/errors.js';
import { type ShownOptions, tryOrRerender } from './rerender.js';

/** A real Fastify app whose one route runs `fail` (or succeeds) through tryOrRerender; the re-render echoes what it was given. */
async function appFailingWith(fail: (() => never) | null, opts?: ShownOptions): Promise<FastifyInstance> {
  const app = Fastify();
  app.setErrorHandler((err, _req, reply) => reply.code(500).send({ escaped: (err as Error).constructor.name, message: (err as Error).message }));
  app.post('/form', async (_req, reply) => tryOrRerender(reply, async () => {
    if (fail) fail();
    return reply.redirect('/done', 303);
  }, (p) => reply.send({ rerendered: true, kind: p.kind, problems: p.problems, sameError: p.error instanceof Error }), opts));
  await app.ready();
  return app;
}

async function post(fail: (() => never) | null, opts?: ShownOptions): Promise<{ status: number; body: unknown; location?: string }> {
  const app = await appFailingWith(fail, opts);
  try {
    const r = await app.inject({ method: 'POST', url: '/form' });
    return { status: r.statusCode, body: r.body ? r.json() : null, location: r.headers.location as string | undefined };
  } finally {
    await app.close();
  }
}

describe('tryOrRerender', () => {
  test('a command that succeeds answers with the reply it made (no re-render)', async () => {
    const r = await post(null);
    assert.equal(r.status, 303);
    assert.equal(r.location, '/done');
  });

  test('Invalid re-renders with 400 and its field problems, or its message when it has none', async () => {
    assert.deepEqual(await post(() => { throw new Invalid('Not saved.', ['Enter a name.', 'Enter a date.']); }), {
      status: 400, body: { rerendered: true, kind: 'invalid', problems: ['Enter a name.', 'Enter a date.'], sameError: true }, location: undefined,
    });
    assert.deepEqual((await post(() => { throw new Invalid('Not saved.'); })).body, { rerendered: true, kind: 'invalid', problems: ['Not saved.'], sameError: true });
  });

  test('Conflict re-renders with 409 and RateLimited with 429, each with its message', async () => {
    assert.deepEqual(await post(() => { throw new Conflict('Already used.'); }), {
      status: 409, body: { rerendered: true, kind: 'conflict', problems: ['Already used.'], sameError: true }, location: undefined,
    });
    assert.deepEqual(await post(() => { throw new RateLimited('Locked until 14:05 UTC.'); }), {
      status: 429, body: { rerendered: true, kind: 'rate-limited', problems: ['Locked until 14:05 UTC.'], sameError: true }, location: undefined,
    });
  });

  test('a page that shows only some kinds lets the others through to the error handler, unchanged', async () => {
    assert.deepEqual(await post(() => { throw new Conflict('Already used.'); }, { kinds: ['invalid'] }), {
      status: 500, body: { escaped: 'Conflict', message: 'Already used.' }, location: undefined,
    });
    assert.equal((await post(() => { throw new Invalid('Not saved.'); }, { kinds: ['invalid'] })).status, 400);
  });

  test('one status for every shown kind when the page gives one', async () => {
    assert.equal((await post(() => { throw new Conflict('Already in force.'); }, { kinds: ['invalid', 'conflict'], status: 400 })).status, 400);
  });

  test('any other error is never shown on the form: Forbidden and a crash reach the error handler as they were thrown', async () => {
    assert.deepEqual((await post(() => { throw new Forbidden(); })).body, { escaped: 'Forbidden', message: 'Forbidden' });
    assert.deepEqual((await post(() => { throw new TypeError('boom'); })).body, { escaped: 'TypeError', message: 'boom' });
  });
});
