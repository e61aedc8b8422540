import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateOneTimePassword, hashPassword, passwordProblems, verifyPassword } from './password.js';

test('passwords are hashed with argon2id and verify only with the right password', async () => {
  const h = await hashPassword('granite-otter-lantern-42');
  assert.match(h, /^\$argon2id\$/);
  assert.equal(await verifyPassword(h, 'granite-otter-lantern-42'), true);
  assert.equal(await verifyPassword(h, 'granite-otter-lantern-43'), false);
  assert.equal(await verifyPassword('not a hash', 'anything'), false);
});

test('password rules: length over complexity, common passwords and the address refused', () => {
  assert.deepEqual(passwordProblems('three random words here'), []);
  assert.ok(passwordProblems('Sh0rt!').some((p) => /at least 12/.test(p)));
  assert.ok(passwordProblems('Password1234').some((p) => /too common/.test(p)));
  assert.ok(passwordProblems('jane.smith-is-great', 'jane.smith@example.org').some((p) => /email/.test(p)));
  assert.ok(passwordProblems('x'.repeat(257)).some((p) => /at most/.test(p)));
});

test('one-time passwords are random and pass the rules', () => {
  const seen = new Set(Array.from({ length: 200 }, () => generateOneTimePassword()));
  assert.equal(seen.size, 200);
  for (const p of seen) assert.deepEqual(passwordProblems(p), []);
});
