import assert from 'node:assert/strict';
import { test } from 'node:test';
import { currentMark, DAY_MS, daysLeft, expiryOf, isPasswordExpired, markWindow, parseLifetime, REMINDER_DAYS } from './reminders.js';

const at = (iso: string): Date => new Date(iso);

test('expiry is the password time plus the lifetime; off when the lifetime is null', () => {
  assert.equal(expiryOf('2026-01-01T00:00:00.000Z', 365)!.toISOString(), '2027-01-01T00:00:00.000Z');
  assert.equal(expiryOf('2026-01-01T00:00:00.000Z', null), null);
  assert.equal(expiryOf(null, 365), null);
  assert.equal(isPasswordExpired('2026-01-01T00:00:00.000Z', 30, at('2026-01-31T00:00:00.000Z')), true);
  assert.equal(isPasswordExpired('2026-01-01T00:00:00.000Z', 30, at('2026-01-30T23:59:59.999Z')), false);
  assert.equal(isPasswordExpired('2026-01-01T00:00:00.000Z', null, at('2099-01-01T00:00:00.000Z')), false);
});

test('the current mark is the last one passed; nothing before 18 days or after expiry', () => {
  const expiry = at('2026-02-01T00:00:00.000Z');
  const before = (days: number): Date => new Date(expiry.getTime() - days * DAY_MS);
  assert.equal(currentMark(before(18.01), expiry), null);
  assert.equal(currentMark(before(18), expiry), 18);
  assert.equal(currentMark(before(10.5), expiry), 18);
  assert.equal(currentMark(before(9.5), expiry), 10, 'a job that missed the 18-day mark sends only the current one');
  assert.equal(currentMark(before(1), expiry), 1);
  assert.equal(currentMark(before(0.01), expiry), 1);
  assert.equal(currentMark(before(0), expiry), null);
  assert.equal(daysLeft(before(17.2), expiry), 18);
});

test('mark windows partition the last 18 days before expiry and agree with currentMark', () => {
  const now = at('2026-06-15T12:00:00.000Z');
  for (let i = 0; i < REMINDER_DAYS.length; i++) {
    const w = markWindow(now, 365, i);
    for (const t of [Date.parse(w.after) + 1, Date.parse(w.upTo)]) {
      assert.equal(currentMark(now, new Date(t + 365 * DAY_MS)), w.days);
    }
    assert.notEqual(currentMark(now, new Date(Date.parse(w.after) + 365 * DAY_MS)), w.days);
  }
  assert.equal(markWindow(now, 365, 4).after, new Date(now.getTime() - 365 * DAY_MS).toISOString());
});

test('a lifetime typed into the form', () => {
  assert.deepEqual(parseLifetime(' 90 '), { lifetimeDays: 90 });
  assert.deepEqual(parseLifetime(''), { lifetimeDays: null });
  assert.ok('problems' in parseLifetime('0'));
  assert.ok('problems' in parseLifetime('3651'));
  assert.ok('problems' in parseLifetime('1e3'));
});
