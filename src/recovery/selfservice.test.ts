import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_ANSWER, MIN_ANSWER, QUESTIONS } from './recovery.js';
import { decoyProfile, failuresInWindow, firstDecoyChallenge, pickNextChallenge, samePositions, seededRandom, selfServiceRetryAfter } from './selfservice.js';

test('a made-up profile: three different questions of the list, answer lengths within the rules, stable for its seed', () => {
  const seed = Buffer.from('a keyed hash of an address');
  const p = decoyProfile(seed);
  assert.deepEqual(decoyProfile(Buffer.from(seed)), p);
  assert.equal(new Set(p.questions).size, 3);
  assert.ok(p.questions.every((q) => QUESTIONS.includes(q)));
  assert.ok(p.lengths.every((l) => l >= MIN_ANSWER && l <= MAX_ANSWER));
  assert.deepEqual(firstDecoyChallenge(seed, p), firstDecoyChallenge(Buffer.from(seed), p));
  assert.notDeepEqual(decoyProfile(Buffer.from('another address')), p);
});

test('the challenge after an answer always asks something else', () => {
  const random = seededRandom(Buffer.from('fixed'));
  let previous = pickNextChallenge([5, 5, 5], random, []);
  for (let i = 0; i < 500; i++) {
    const next = pickNextChallenge([5, 5, 5], random, previous);
    assert.equal(samePositions(next, previous), false);
    assert.equal(new Set(next.map((p) => p.slot)).size, 2);
    previous = next;
  }
});

test('the throttle: per address and per client, counted in a window from its first failure', () => {
  const limits = { recoverySelfServiceMaxPerAccount: 5, recoverySelfServiceMaxPerClient: 20, recoverySelfServiceWindowMinutes: 15 };
  const start = '2026-03-03T10:00:00.000Z';
  const at = (minutes: number): Date => new Date(Date.parse(start) + minutes * 60_000);
  assert.equal(selfServiceRetryAfter(undefined, undefined, limits, at(0)), null);
  assert.equal(selfServiceRetryAfter({ failures: 4, windowStartedAt: start }, { failures: 19, windowStartedAt: start }, limits, at(1)), null);
  assert.equal(selfServiceRetryAfter({ failures: 5, windowStartedAt: start }, undefined, limits, at(5)), 600);
  assert.equal(selfServiceRetryAfter(undefined, { failures: 20, windowStartedAt: start }, limits, at(14)), 60);
  assert.equal(selfServiceRetryAfter({ failures: 5, windowStartedAt: start }, { failures: 20, windowStartedAt: start }, limits, at(15)), null, 'the window is over');
  assert.equal(failuresInWindow({ failures: 3, windowStartedAt: start }, 15, at(14.9)), 3);
  assert.equal(failuresInWindow({ failures: 3, windowStartedAt: start }, 15, at(15)), 0);
});
