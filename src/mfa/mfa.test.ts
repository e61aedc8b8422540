import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { requirePeer } from '../platform/testing/peers.js';
import { checkTotp, mfaReasons, newRecoveryCodes, newTotpSecret, normaliseRecoveryCode, totpCode, totpUri } from './mfa.js';

const base = { businessArea: 'Clinical', highRiskAreas: ['Finance', 'HR'], roles: [{ role: 'user' as const, scope: '*' }], mfaRequired: false, compromisedAt: null };

test('MFA is required for high-risk areas, privileged roles, compromised and marked accounts only', () => {
  assert.deepEqual(mfaReasons(base), []);
  assert.deepEqual(mfaReasons({ ...base, businessArea: ' finance ' }), ['high-risk-area']);
  assert.deepEqual(mfaReasons({ ...base, roles: [{ role: 'local-admin', scope: 'org' }] }), ['privileged-role']);
  for (const role of ['helpdesk', 'csoc', 'platform-admin'] as const) assert.deepEqual(mfaReasons({ ...base, roles: [{ role, scope: '*' }] }), ['privileged-role']);
  assert.deepEqual(mfaReasons({ ...base, compromisedAt: '2026-01-01T00:00:00Z' }), ['compromised']);
  assert.deepEqual(mfaReasons({ ...base, mfaRequired: true }), ['marked']);
  assert.deepEqual(mfaReasons({ ...base, businessArea: 'Payroll', highRiskAreas: ['Payroll'] }), ['high-risk-area']);
});

test('TOTP accepts the current and adjacent steps, refuses others and replays', () => {
  const secret = newTotpSecret();
  const now = new Date('2026-03-01T10:00:15Z');
  const step = Math.floor(now.getTime() / 30_000);
  assert.equal(checkTotp(secret, totpCode(secret, now), now, null), step);
  assert.equal(checkTotp(secret, totpCode(secret, new Date(now.getTime() - 30_000)), now, null), step - 1);
  assert.equal(checkTotp(secret, totpCode(secret, new Date(now.getTime() + 30_000)), now, null), step + 1);
  assert.equal(checkTotp(secret, totpCode(secret, new Date(now.getTime() - 90_000)), now, null), null, 'three steps old');
  assert.equal(checkTotp(secret, totpCode(secret, now), now, step), null, 'replay of the same step');
  assert.equal(checkTotp(secret, totpCode(secret, new Date(now.getTime() - 30_000)), now, step), null, 'an older step after a newer one');
  assert.equal(checkTotp(secret, 'abcdef', now, null), null);
  assert.match(totpUri(secret, 'a@b.example', 'Postwarden'), /^otpauth:\/\/totp\/Postwarden:a%40b\.example\?.*algorithm=SHA1&digits=6&period=30/);
});

test('codes from Debian oathtool are accepted (an independent implementation)', { skip: requirePeer('oathtool', 'the independent TOTP check') }, () => {
  const secret = newTotpSecret();
  const now = new Date();
  const code = execFileSync('oathtool', ['--totp', '-b', secret, '-N', now.toISOString().replace('T', ' ').replace(/\..*/, ' UTC')], { encoding: 'utf8' }).trim();
  assert.notEqual(checkTotp(secret, code, now, null), null);
});

test('recovery codes are distinct and normalise for comparison', () => {
  const codes = newRecoveryCodes(randomBytes);
  assert.equal(new Set(codes).size, 10);
  for (const c of codes) assert.match(c, /^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
  assert.equal(normaliseRecoveryCode(' ABCD-efgh-2345 '), 'abcdefgh2345');
});
