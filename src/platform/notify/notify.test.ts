import assert from 'node:assert/strict';
import { test } from 'node:test';
import { afterFailure, retryDelayMs, scrubError } from './notify.js';

test('retries back off exponentially from the base, capped at an hour', () => {
  assert.deepEqual([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, 30)), [30_000, 60_000, 120_000, 240_000, 480_000]);
  assert.equal(retryDelayMs(20, 30), 3_600_000);
  const now = new Date('2026-01-01T00:00:00Z');
  assert.deepEqual(afterFailure(1, 3, now, 30), { status: 'pending', nextAttemptAt: '2026-01-01T00:00:30.000Z' });
  assert.deepEqual(afterFailure(3, 3, now, 30), { status: 'failed', nextAttemptAt: now.toISOString() });
});

test('errors are scrubbed of every template value, one line, bounded', () => {
  const e = scrubError('550 rejected:\n  temporary password Xy7-kk9 for bob', { password: 'Xy7-kk9', nested: { code: 123456 }, short: 'ab' });
  assert.equal(e, '550 rejected: temporary password [redacted] for bob');
  assert.equal(scrubError('code 123456 wrong', { n: { code: 123456 } }), 'code [redacted] wrong');
  assert.equal(scrubError('x'.repeat(1000)).length, 300);
  assert.equal(scrubError('  '), 'unknown error');
});
