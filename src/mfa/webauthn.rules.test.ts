import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Invalid } from '../platform/errors/errors.js';
import { challengeExpiry, cleanKeyName, liveChallenge, parseCredentialField, relyingPartyOf, signCountAcceptable } from './webauthn.js';

test('the relying party is the public URL host name and origin', () => {
  assert.deepEqual(relyingPartyOf('https://mail.example.nhs.uk/portal', 'Postwarden'), { id: 'mail.example.nhs.uk', origin: 'https://mail.example.nhs.uk', name: 'Postwarden' });
  assert.deepEqual(relyingPartyOf('http://localhost:4321', 'P'), { id: 'localhost', origin: 'http://localhost:4321', name: 'P' });
});

test('a challenge lives five minutes', () => {
  const now = new Date('2026-12-01T09:00:00Z');
  const s = { challenge: 'abc', challengeExpiresAt: challengeExpiry(now) };
  assert.equal(liveChallenge(s, new Date(now.getTime() + 299_999)), 'abc');
  assert.equal(liveChallenge(s, new Date(now.getTime() + 300_000)), null);
  assert.equal(liveChallenge({ challenge: null, challengeExpiresAt: null }, now), null);
});

test('a signature counter must move forward once a key counts', () => {
  assert.equal(signCountAcceptable(0, 0), true, 'keys that do not count');
  assert.equal(signCountAcceptable(0, 1), true);
  assert.equal(signCountAcceptable(5, 6), true);
  assert.equal(signCountAcceptable(5, 5), false, 'the same counter again');
  assert.equal(signCountAcceptable(5, 3), false, 'a counter that went back');
  assert.equal(signCountAcceptable(5, 0), false, 'a counting key that reports 0');
});

test('key names and credential fields are checked', () => {
  assert.equal(cleanKeyName('  Blue key '), 'Blue key');
  assert.equal(cleanKeyName(''), 'Security key');
  assert.throws(() => cleanKeyName('x'.repeat(61)), Invalid);
  assert.throws(() => cleanKeyName('a\u0000b'), Invalid);
  assert.throws(() => parseCredentialField(''), Invalid);
  assert.throws(() => parseCredentialField('{"id":"a b","response":{}}'), Invalid);
  assert.throws(() => parseCredentialField('{"id":"abc"}'), Invalid);
  assert.equal(parseCredentialField('{"id":"abc_-1","response":{}}').id, 'abc_-1');
});
