import assert from 'node:assert/strict';
import { test } from 'node:test';
import { migrations } from './migrations.js';

// Kysely records each migration by its name: a renamed one would run again on every existing
// database. The names released so far, in the order Kysely runs them (by name).
const released = [
  '2026-11-30T01-directory-audit',
  '2026-11-30T02-mfa-signin',
  '2026-11-30T03-notify',
  '2026-11-30T04-gateway',
  '2026-11-30T05-mailtips',
  '2026-11-30T06-recovery',
  '2026-11-30T07-accounts',
  '2026-11-30T08-reports',
  '2026-12-08T01-mobile-change',
  '2026-12-08T02-token-mfa',
  '2026-12-08T03-selfservice-throttle',
  '2026-12-08T04-session-privileges',
];

test('the assembled migrations keep every released name, each with an up step', () => {
  const names = Object.keys(migrations).sort();
  assert.deepEqual(names.slice(0, released.length), released);
  for (const name of names) {
    assert.match(name, /^\d{4}-\d{2}-\d{2}T\d{2}-[a-z0-9-]+$/, `${name} is not a dated name`);
    assert.equal(typeof migrations[name]!.up, 'function', `${name} has no up()`);
  }
});
