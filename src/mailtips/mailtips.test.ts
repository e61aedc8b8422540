import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HistoryKeys } from './keys.js';
import { dayNumber, dayString, decideFrom, exemptionFor, needsTip, normaliseAddress, tipHeaderValue, tipKey, type TipRules } from './mailtips.js';
import { PairTable } from './pairtable.js';
import { siphash24, sipKey, sipOut } from './siphash.js';

const rules: TipRules = { threshold: 5, windowDays: 90, retentionDays: 730, exemptInternal: true, exemptSystem: true, platformDomain: 'mail.example.org' };

test('the header names each rule that applies, with its figures', () => {
  const d = decideFrom(false, 2, rules, null);
  assert.equal(tipHeaderValue(d), 'first-contact; low-volume count=2 threshold=5 window=90d');
  assert.equal(tipHeaderValue({ ...decideFrom(true, 9, rules, null), accountLinkWarning: true }), 'account-link');
  assert.equal(needsTip(decideFrom(true, 5, rules, null)), false);
  assert.equal(needsTip(decideFrom(true, 4, rules, null)), true);
  assert.equal(tipKey(decideFrom(true, 5, rules, null)), '');
  assert.notEqual(tipKey(decideFrom(true, 1, rules, null)), tipKey(decideFrom(true, 2, rules, null)));
});

test('exemptions need an authenticated sender; platform subdomains count as system mail', () => {
  const internal = new Set(['trust.example.net']);
  assert.equal(exemptionFor('a@trust.example.net', true, rules, internal), 'internal');
  assert.equal(exemptionFor('a@trust.example.net', false, rules, internal), null);
  assert.equal(exemptionFor('no-reply@mail.example.org', true, rules, internal), 'system');
  assert.equal(exemptionFor('x@alerts.mail.example.org', true, rules, internal), 'system');
  assert.equal(exemptionFor('x@evilmail.example.org', true, rules, internal), null);
  assert.equal(exemptionFor('a@trust.example.net', true, { ...rules, exemptInternal: false }, internal), null);
  assert.equal(exemptionFor('', true, rules, internal), null);
  const d = decideFrom(false, 0, rules, 'internal');
  assert.equal(d.firstContact || d.lowVolume, false);
});

test('addresses normalise trimmed, unbracketed, lower-case; days are UTC', () => {
  assert.equal(normaliseAddress(' <Alice@Example.ORG> '), 'alice@example.org');
  assert.equal(dayString(dayNumber(new Date('2026-03-01T23:59:59Z'))), '2026-03-01');
});

test('SipHash-2-4 matches the reference vectors', () => {
  const key = sipKey(Uint8Array.from({ length: 16 }, (_, i) => i));
  const hex = (): string => sipOut[0]!.toString(16).padStart(8, '0') + sipOut[1]!.toString(16).padStart(8, '0');
  siphash24(key, new Uint8Array(0), 0);
  assert.equal(hex(), '726fdb47dd0e0e31');
  siphash24(key, Uint8Array.from({ length: 15 }, (_, i) => i), 15);
  assert.equal(hex(), 'a129ca6149be45e5');
  siphash24(key, Uint8Array.from({ length: 8 }, (_, i) => i), 8);
  assert.equal(hex(), '93f5f5799a932462');
});

test('pair table: grows, keeps days (latest wins), treats key (0,0), restarts at its limit', () => {
  const t = new PairTable(100_000, 16);
  for (let i = 1; i <= 5000; i++) t.set(i * 2654435761 >>> 0, i, i % 1000);
  assert.equal(t.size, 5000);
  assert.ok(t.capacity >= 5000 / 0.75);
  for (let i = 1; i <= 5000; i++) assert.equal(t.get(i * 2654435761 >>> 0, i), i % 1000);
  assert.equal(t.get(7, 7), -1);
  t.set(0, 0, 3);
  assert.equal(t.get(0, 0), 3);
  t.set(0, 0, 2);
  assert.equal(t.get(0, 0), 3);
  const small = new PairTable(10, 16);
  for (let i = 1; i <= 10; i++) small.set(0, i, 1);
  small.set(0, 11, 1);
  assert.equal(small.size, 1);
  assert.equal(small.get(0, 11), 1);
});

test('history keys: same pair same key, order matters, non-ASCII addresses work, no address in the database key', () => {
  const k = new HistoryKeys(Buffer.alloc(32, 7));
  const a = [k.pairHash('r@x.org', 's@y.org'), sipOut[0]];
  assert.deepEqual([k.pairHash('r@x.org', 's@y.org'), sipOut[0]], a);
  assert.notDeepEqual([k.pairHash('s@y.org', 'r@x.org'), sipOut[0]], a);
  const u = [k.pairHash('zoë@x.org', 'ünïcode@例え.jp'), sipOut[0]];
  assert.deepEqual([k.pairHash('zoë@x.org', 'ünïcode@例え.jp'), sipOut[0]], u);
  assert.notDeepEqual([k.pairHash('zoe@x.org', 'unicode@例え.jp'), sipOut[0]], u);
  assert.equal(k.pairHash('a'.repeat(5000), 'b'), k.pairHash('a'.repeat(5000), 'b'));
  const dbKey = k.dbPairKey('r@x.org', 's@y.org');
  assert.match(dbKey, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(new HistoryKeys(Buffer.alloc(32, 8)).dbPairKey('r@x.org', 's@y.org'), dbKey);
  assert.equal(k.senderHash('s@y.org'), k.senderHash('s@y.org'));
  assert.ok(Number.isSafeInteger(k.senderHash('s@y.org')));
});

test('pairHash normalises as it hashes, exactly like normaliseAddress', () => {
  const k = new HistoryKeys(Buffer.alloc(32, 9));
  const h = (r: string, s: string): string => `${k.pairHash(r, s)}:${sipOut[0]}`;
  for (const [raw, norm] of [[' <Ann@Trust.EXAMPLE> ', 'ann@trust.example'], ['\tBOB@x.org\r\n', 'bob@x.org'], ['< Zoë@Ünï.example >', 'zoë@ünï.example'], ['\u00a0Cé@x.fr', 'cé@x.fr']]) {
    assert.equal(h(raw!, 'S@Y.org'), h(norm!, 's@y.org'), raw);
    assert.equal(normaliseAddress(raw!), norm);
  }
});
