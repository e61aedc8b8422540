import assert from 'node:assert/strict';
import { test } from 'node:test';
import { afterFailure, afterSuccess, FRESH, isLocked, lockDuration, type ThrottleState } from './lockout.js';

function fail(s: ThrottleState, n: number, now: Date, mac = (i: number) => `mac-${i}`): ThrottleState {
  for (let i = 0; i < n; i++) s = afterFailure(s, mac(i), now);
  return s;
}

test('ten different failures lock for one minute, not nine', () => {
  const t0 = new Date('2026-01-01T09:00:00Z');
  const nine = fail(FRESH, 9, t0);
  assert.equal(isLocked(nine, t0), false);
  const ten = afterFailure(nine, 'mac-x', t0);
  assert.equal(isLocked(ten, t0), true);
  assert.equal(isLocked(ten, new Date(t0.getTime() + 59_999)), true);
  assert.equal(isLocked(ten, new Date(t0.getTime() + 60_000)), false);
});

test('the same wrong password repeated is counted once', () => {
  const t0 = new Date('2026-01-01T09:00:00Z');
  const s = fail(FRESH, 50, t0, () => 'same-mac');
  assert.equal(s.failures, 1);
  assert.equal(isLocked(s, t0), false);
});

test('locks double to a 30-minute ceiling and are never permanent', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 40].map((n) => lockDuration(n) / 60_000), [1, 2, 4, 8, 16, 30, 30, 30]);
  let s = FRESH;
  let t = new Date('2026-01-01T09:00:00Z');
  for (let round = 1; round <= 8; round++) {
    s = fail(s, 10, t, (i) => `r${round}-${i}`);
    assert.equal(isLocked(s, t), true, `round ${round}`);
    assert.equal(Date.parse(s.lockedUntil!) - t.getTime(), lockDuration(round));
    t = new Date(Date.parse(s.lockedUntil!));
    assert.equal(isLocked(s, t), false);
  }
});

test('failures during a lock change nothing; success resets', () => {
  const t0 = new Date('2026-01-01T09:00:00Z');
  const locked = fail(FRESH, 10, t0);
  assert.deepEqual(afterFailure(locked, 'another', t0), locked);
  assert.deepEqual(afterSuccess(), FRESH);
});
