import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  answerHashes, assessVerification, mobileTrusted, mobileUsableFrom, charHash, cleanTicket, hasRun, lastFourMatch, normaliseAnswer, normaliseTypedChar, ordinal, pickChallenge,
  QUESTIONS, questionProblems, selfServiceAllowed, type VerificationSubject,
} from './recovery.js';
import { flagResets, isOutsideHours, parsePeriod, parseWorkingHours, reviewDue, type ResetRecord } from './review.js';

const q = (i: number): string => QUESTIONS[i]!;
const texts = (entries: { question: string; answer: string }[]): string[] => questionProblems(entries).map((p) => `${p.field}: ${p.text}`);

test('answers are normalised for case and spaces', () => {
  assert.equal(normaliseAnswer('  Vauxhall  Nova '), 'vauxhallnova');
  assert.equal(normaliseAnswer('ＡＢＣ de'), 'abcde', 'full-width letters fold (NFKC)');
  assert.equal(normaliseTypedChar(' Q '), 'q');
  assert.equal(normaliseTypedChar('ab'), null);
  assert.equal(normaliseTypedChar(' '), null);
});

test('each rule has its own clear message', () => {
  assert.deepEqual(texts([{ question: q(0), answer: 'Quillbrook' }, { question: q(1), answer: 'Zephyrine' }, { question: q(2), answer: 'Vauxhall Nova' }]), []);
  const p = texts([{ question: q(0), answer: 'abcd' }, { question: q(0), answer: 'A b c d e f g h i j k l m' }, { question: '', answer: '' }]);
  assert.deepEqual(p, [
    'answer1: The answer to question 1 must have at least 5 characters, not counting spaces.',
    'question2: Question 2 is the same as question 1: choose a different question.',
    'answer2: The answer to question 2 must have at most 12 characters, not counting spaces.',
    'question3: Choose question 3 from the list.',
    'answer3: Enter an answer to question 3.',
  ]);
  assert.deepEqual(texts([{ question: q(0), answer: 'baaab' }, { question: q(1), answer: 'x111yz' }, { question: q(2), answer: 'B aaa B' }]).filter((t) => /3 times/.test(t)).length, 3);
  const same = texts([{ question: q(0), answer: 'Quillbrook' }, { question: q(1), answer: 'quill brook' }, { question: q(2), answer: 'Zephyrine' }]);
  assert.deepEqual(same, ['answer2: The answer to question 2 is the same as the answer to question 1: each answer must be different.']);
  assert.ok(!same.join(' ').includes('quill'), 'messages never repeat an answer');
  assert.equal(hasRun('aab'), false);
  assert.equal(hasRun('aaab'), true);
});

test('answers are stored as one keyed hash per character position, bound to account and slot', () => {
  const key = Buffer.alloc(32, 7);
  const h = answerHashes(key, 'acc-1', 0, 'kings');
  assert.equal(h.length, 5);
  assert.equal(h[2], charHash(key, 'acc-1', 0, 2, 'n'));
  assert.notEqual(h[2], charHash(key, 'acc-2', 0, 2, 'n'), 'another account');
  assert.notEqual(h[2], charHash(key, 'acc-1', 1, 2, 'n'), 'another question');
  assert.notEqual(h[2], charHash(Buffer.alloc(32, 8), 'acc-1', 0, 2, 'n'), 'another key');
  assert.ok(h.every((x) => /^[0-9a-f]{64}$/.test(x)));
});

test('the challenge is one position in each of two different answers, within their lengths', () => {
  for (let seed = 0; seed < 200; seed++) {
    let s = seed;
    const rand = (n: number): number => (s = (s * 1103515245 + 12345) % 2 ** 31) % n;
    const c = pickChallenge([5, 12, 7], rand);
    assert.equal(c.length, 2);
    assert.notEqual(c[0]!.slot, c[1]!.slot);
    for (const p of c) assert.ok(p.position >= 0 && p.position < [5, 12, 7][p.slot]!);
  }
});

const subject = (s: Partial<VerificationSubject> = {}): VerificationSubject => ({
  status: 'active', statusReason: null, compromisedAt: null, privileged: false, hasTotp: false, hasMfa: false, ukMobile: false, mobileTrusted: true, questionsSet: true, ...s,
});

test('who can be verified over the phone, and with which second factor', () => {
  assert.deepEqual(assessVerification(subject()), { ok: true, options: [] }, 'no MFA, no mobile: questions alone');
  assert.deepEqual(assessVerification(subject({ ukMobile: true })), { ok: true, options: ['sms'] });
  assert.deepEqual(assessVerification(subject({ hasTotp: true, hasMfa: true, ukMobile: true })), { ok: true, options: ['totp'] }, 'the strongest factor wins: no SMS beside an app');
  assert.deepEqual(assessVerification(subject({ privileged: true })), { ok: false, referral: 'no-phone-factor' }, 'privileged never on questions alone');
  assert.deepEqual(assessVerification(subject({ hasMfa: true })), { ok: false, referral: 'security-key-only' }, 'a security key cannot be checked by phone');
  assert.deepEqual(assessVerification(subject({ hasMfa: true, ukMobile: true })), { ok: false, referral: 'security-key-only' }, 'nor replaced by SMS');
  assert.deepEqual(assessVerification(subject({ ukMobile: true, mobileTrusted: false })), { ok: false, referral: 'mobile-recently-changed' }, 'a mobile set by someone else is no factor yet');
  assert.deepEqual(assessVerification(subject({ ukMobile: true, mobileTrusted: false, hasTotp: true, hasMfa: true })), { ok: true, options: ['totp'] }, 'the app still works');
  assert.deepEqual(assessVerification(subject({ status: 'disabled', statusReason: 'non-uk-mobile' })), { ok: false, referral: 'non-uk-mobile' });
  assert.deepEqual(assessVerification(subject({ compromisedAt: '2026-01-01T00:00:00Z', ukMobile: true })), { ok: false, referral: 'compromised' });
  assert.deepEqual(assessVerification(subject({ status: 'disabled', statusReason: 'left' })), { ok: false, referral: 'disabled' });
  assert.deepEqual(assessVerification(subject({ questionsSet: false })), { ok: false, referral: 'no-questions' });
  assert.equal(selfServiceAllowed(subject({ ukMobile: true })), true);
  assert.equal(selfServiceAllowed(subject()), false, 'no mobile to send to');
  assert.equal(selfServiceAllowed(subject({ ukMobile: true, privileged: true })), false, 'privileged without an app');
  assert.equal(selfServiceAllowed(subject({ ukMobile: true, privileged: true, hasTotp: true, hasMfa: true })), true);
  assert.equal(selfServiceAllowed(subject({ ukMobile: true, compromisedAt: '2026-01-01T00:00:00Z' })), false);
  assert.equal(selfServiceAllowed(subject({ ukMobile: true, mobileTrusted: false })), false, 'a recently changed mobile');
  assert.equal(selfServiceAllowed(subject({ ukMobile: true, mobileTrusted: false, hasTotp: true, hasMfa: true })), false, 'the temporary password would go to it');
});

test('a mobile set by someone else becomes a second factor only after the delay', () => {
  const at = '2026-12-01T10:00:00.000Z';
  const rule = (iso: string) => ({ now: new Date(iso), newMobileDays: 7, mobileRule: { allowCrownDependencies: true } });
  assert.equal(mobileUsableFrom({ mobileChangedAt: null, mobileChangeVerified: false }, 7), null, 'a number from before the rule');
  assert.equal(mobileUsableFrom({ mobileChangedAt: at, mobileChangeVerified: true }, 7), null, 'the account itself after MFA');
  assert.equal(mobileUsableFrom({ mobileChangedAt: at, mobileChangeVerified: false }, 7), '2026-12-08T10:00:00.000Z');
  assert.equal(mobileTrusted({ mobileChangedAt: at, mobileChangeVerified: false }, rule('2026-12-08T09:59:59.999Z')), false);
  assert.equal(mobileTrusted({ mobileChangedAt: at, mobileChangeVerified: false }, rule('2026-12-08T10:00:00.000Z')), true);
  assert.equal(mobileTrusted({ mobileChangedAt: at, mobileChangeVerified: false }, { now: new Date(at), newMobileDays: 0, mobileRule: { allowCrownDependencies: true } }), true, 'the delay can be turned off');
});

test('mobiles, tickets, ordinals', () => {
  assert.equal(lastFourMatch('+447911123456', '3456'), true);
  assert.equal(lastFourMatch('+447911123456', '3455'), false);
  assert.equal(lastFourMatch(null, '3456'), false);
  assert.equal(cleanTicket('  INC-0042 '), 'INC-0042');
  assert.equal(cleanTicket(''), null);
  assert.equal(cleanTicket('=cmd|x'), null);
  assert.deepEqual([1, 2, 3, 4, 11, 12, 21].map(ordinal), ['1st', '2nd', '3rd', '4th', '11th', '12th', '21st']);
});

const reset = (over: Partial<ResetRecord>): ResetRecord => ({
  id: 'r', at: '2026-03-03T10:00:00.000Z', accountId: 'a', accountEmail: 'a@x.test', accountName: 'A', channel: 'helpdesk', agentId: 'g1', agentEmail: 'g@x.test',
  agentName: 'G', agentOrganisationName: 'P', verificationId: 'v', failedBefore: 0, secondFactor: 'none', delivery: 'shown', ticket: 'T1', privileged: false, highRisk: false, ...over,
});

test('review flags: after failures, high-risk, privileged, unusual volume, outside working hours (local time)', () => {
  const wh = parseWorkingHours('Mon-Fri 08:00-18:00', 'Europe/London');
  assert.equal(isOutsideHours(new Date('2026-03-03T10:00:00Z'), wh), false, 'Tuesday 10:00');
  assert.equal(isOutsideHours(new Date('2026-03-03T19:30:00Z'), wh), true, 'Tuesday 19:30');
  assert.equal(isOutsideHours(new Date('2026-03-07T10:00:00Z'), wh), true, 'Saturday');
  assert.equal(isOutsideHours(new Date('2026-07-07T07:30:00Z'), wh), false, '08:30 British Summer Time');
  const rows = flagResets([
    reset({ id: '1', failedBefore: 2 }), reset({ id: '2', highRisk: true, privileged: true }), reset({ id: '3', at: '2026-03-05T22:00:00.000Z' }),
    reset({ id: '4', agentId: 'g2', at: '2026-03-04T09:00:00.000Z' }), reset({ id: '5', agentId: 'g2', at: '2026-03-04T10:00:00.000Z' }), reset({ id: '6', agentId: 'g2', at: '2026-03-04T11:00:00.000Z' }),
  ], { workingHours: wh, unusualPerDay: 2 });
  assert.deepEqual(rows.map((r) => r.flags), [['after-failures'], ['high-risk', 'privileged'], ['outside-hours'], ['unusual-volume'], ['unusual-volume'], ['unusual-volume']]);
  assert.equal(rows[0]!.outcome, 'Passed after 2 failed');
});

test('review period and the dashboard nag', () => {
  const now = new Date('2026-03-31T12:00:00Z');
  const d = parsePeriod(undefined, undefined, now, 90);
  assert.ok('period' in d);
  assert.equal(d.period.to, '2026-03-31');
  assert.equal(d.period.endIso, '2026-04-01T00:00:00.000Z');
  assert.ok('problems' in parsePeriod('2026-02-30', '2026-03-01', now, 90));
  assert.ok('problems' in parsePeriod('2026-03-02', '2026-03-01', now, 90));
  assert.deepEqual(reviewDue(null, now, 90), { due: true, daysSince: null });
  assert.deepEqual(reviewDue('2026-03-01T00:00:00Z', now, 90), { due: false, daysSince: 30 });
  assert.deepEqual(reviewDue('2025-12-01T00:00:00Z', now, 90), { due: true, daysSince: 120 });
});
