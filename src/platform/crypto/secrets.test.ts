import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { decryptSecret, deriveKey, encryptSecret, keyedHash } from './secrets.js';

test('secrets round-trip, and fail with another key or after tampering', () => {
  const master = randomBytes(32);
  const key = deriveKey(master, 'totp');
  const sealed = encryptSecret(key, 'JBSWY3DPEHPK3PXP');
  assert.doesNotMatch(sealed, /JBSWY3DPEHPK3PXP/);
  assert.equal(decryptSecret(key, sealed), 'JBSWY3DPEHPK3PXP');
  assert.throws(() => decryptSecret(deriveKey(master, 'other'), sealed));
  assert.throws(() => decryptSecret(deriveKey(randomBytes(32), 'totp'), sealed));
  const parts = sealed.split('.');
  parts[3] = Buffer.from('tampered').toString('base64url');
  assert.throws(() => decryptSecret(key, parts.join('.')));
  assert.throws(() => deriveKey(Buffer.alloc(0), 'x'), /secret key/);
});

test('keyed hashes differ per key and purpose', () => {
  const master = randomBytes(32);
  assert.notEqual(keyedHash(deriveKey(master, 'a'), 'x'), keyedHash(deriveKey(master, 'b'), 'x'));
  assert.equal(keyedHash(deriveKey(master, 'a'), 'x'), keyedHash(deriveKey(master, 'a'), 'x'));
});
