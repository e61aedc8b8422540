import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { installPublicKeyCache, publicKeyCacheSize } from './keycache.js';

test('PEM public keys are parsed once; signatures verify exactly as before', () => {
  installPublicKeyCache();
  const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = publicKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const before = publicKeyCacheSize();
  const a = crypto.createPublicKey({ key: Buffer.from(pem), format: 'pem' });
  const b = crypto.createPublicKey(pem);
  assert.equal(a, b, 'the same KeyObject comes back');
  assert.equal(publicKeyCacheSize(), before + 1);
  const data = Buffer.from('message');
  const sig = crypto.sign('sha256', data, privateKey);
  assert.equal(crypto.verify('sha256', data, pem, sig), true);
  assert.equal(crypto.verify('sha256', Buffer.from('other'), pem, sig), false);
  // Other inputs go straight through.
  assert.equal(crypto.createPublicKey(privateKey).type, 'public');
  assert.throws(() => crypto.createPublicKey('-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----'));
});

test('PEM private keys too (the ARC sealer parses ours for every signature)', () => {
  installPublicKeyCache();
  const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  assert.equal(crypto.createPrivateKey({ key: Buffer.from(pem), format: 'pem' }), crypto.createPrivateKey(pem));
  const data = Buffer.from('seal me');
  const sig = crypto.sign('sha256', data, pem);
  assert.equal(crypto.verify('sha256', data, publicKey, sig), true);
  assert.equal(crypto.createPublicKey(pem).type, 'public', 'a public key derived from a private PEM is not mixed up with it');
});
