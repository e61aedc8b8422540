import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ageText, type CaseDevice, checkMarkInput, checkNotOursInput, checkScanInput, computeChecklist, deviceStatus, reminderDue, timelineText,
} from './compromise.js';

const FLAG = '2026-03-10T12:00:00.000Z';
const device = (checks: CaseDevice['checks'] = []): CaseDevice => ({
  id: 'd1', deviceId: 'abc', userAgent: 'Mozilla/5.0 (Windows NT 10.0) Firefox/128.0', ips: ['192.0.2.1'], firstSeen: '2026-03-01T09:00:00.000Z', lastSeen: '2026-03-10T11:00:00.000Z', signIns: 3, checks,
});
const scan = (result: 'clean' | 'cleaned' | 'infected', at = '2026-03-11T09:00:00.000Z') =>
  ({ id: at, kind: 'scan' as const, scannedBy: 'Sam Tech', tool: 'Defender', result, scannedOn: at.slice(0, 10), reason: null, recordedBy: 'la@x', recordedAt: at });

describe('the case checklist', () => {
  test('nothing done right after the flag', () => {
    const c = computeChecklist({ flaggedAt: FLAG, passwordChangedAt: '2026-01-01T00:00:00.000Z', mustChangePassword: true, factors: [], devices: [device()] });
    assert.deepEqual([c.password.done, c.mfa.done, c.devices.done, c.complete], [false, false, false, false]);
    assert.deepEqual(c.remaining, ['the user must change their password', 'the user must set up MFA', '1 device needs a malware scan record']);
  });

  test('a temporary password set after the flag is not the user changing it', () => {
    const c = computeChecklist({ flaggedAt: FLAG, passwordChangedAt: '2026-03-11T00:00:00.000Z', mustChangePassword: true, factors: [], devices: [] });
    assert.equal(c.password.done, false);
    assert.match(c.password.text, /temporary password/);
  });

  test('an old factor must be used after the flag; enrolment after the flag counts as use', () => {
    const old = { status: 'active' as const, createdAt: '2025-01-01T00:00:00.000Z', lastUsedAt: '2026-03-01T00:00:00.000Z' };
    const base = { flaggedAt: FLAG, passwordChangedAt: '2026-03-11T00:00:00.000Z', mustChangePassword: false, devices: [] };
    assert.deepEqual([computeChecklist({ ...base, factors: [old] }).mfa.done, computeChecklist({ ...base, factors: [old] }).mfa.enrolled], [false, true]);
    assert.equal(computeChecklist({ ...base, factors: [{ ...old, lastUsedAt: '2026-03-10T13:00:00.000Z' }] }).mfa.done, true);
    assert.equal(computeChecklist({ ...base, factors: [{ ...old, status: 'pending', lastUsedAt: '2026-03-12T00:00:00.000Z' }] }).mfa.done, false);
    const c = computeChecklist({ ...base, factors: [{ status: 'active', createdAt: '2026-03-11T00:00:00.000Z', lastUsedAt: '2026-03-11T00:00:00.000Z' }] });
    assert.equal(c.complete, true, 'no devices, password changed, MFA used');
  });

  test('a device is done by its latest record: a clean or cleaned scan, or not ours with a reason', () => {
    assert.equal(deviceStatus(device([scan('clean')])).done, true);
    assert.equal(deviceStatus(device([scan('cleaned')])).done, true);
    assert.equal(deviceStatus(device([scan('clean'), scan('infected', '2026-03-12T09:00:00.000Z')])).done, false);
    assert.match(deviceStatus(device([scan('infected')])).text, /clean the device and record a new scan/);
    const notOurs = { id: 'n', kind: 'not-ours' as const, scannedBy: null, tool: null, result: null, scannedOn: null, reason: 'Personal laptop, user refuses', recordedBy: 'la', recordedAt: '2026-03-11T00:00:00.000Z' };
    assert.equal(deviceStatus(device([notOurs])).done, true);
    assert.equal(deviceStatus(device([notOurs])).text, 'Not ours or not reachable: Personal laptop, user refuses');
  });
});

describe('input rules', () => {
  test('marking needs a reason and an evidence reference', () => {
    assert.deepEqual(checkMarkInput({ reason: ' ', evidenceRef: '' }).problems, ['Enter a reason.', 'Enter an evidence reference.']);
    assert.deepEqual(checkMarkInput({ reason: ' Sent phishing ', evidenceRef: 'INC-1' }), { value: { reason: 'Sent phishing', evidenceRef: 'INC-1' }, problems: [] });
    assert.match(checkMarkInput({ reason: 'x'.repeat(501), evidenceRef: 'INC\u0000' }).problems.join(' '), /500 characters or fewer.*control characters/);
  });

  test('a scan needs who, tool, result and a real date between the flag and today', () => {
    const now = new Date('2026-03-20T10:00:00Z');
    const ok = { scannedBy: 'Sam', tool: 'Defender', result: 'clean', scannedOn: '2026-03-12' };
    assert.deepEqual(checkScanInput(ok, FLAG, now).problems, []);
    assert.deepEqual(checkScanInput({ scannedBy: '', tool: '', result: 'fine', scannedOn: '' }, FLAG, now).problems,
      ['Enter who scanned the device.', 'Enter the scanning tool.', 'Choose the result of the scan.', 'Enter the date of the scan.']);
    assert.match(checkScanInput({ ...ok, scannedOn: '2026-02-30' }, FLAG, now).problems[0]!, /real date/);
    assert.match(checkScanInput({ ...ok, scannedOn: '2026-03-09' }, FLAG, now).problems[0]!, /on or after 2026-03-10/);
    assert.match(checkScanInput({ ...ok, scannedOn: '2026-03-21' }, FLAG, now).problems[0]!, /future/);
  });

  test('not ours needs a reason', () => {
    assert.deepEqual(checkNotOursInput('  ').problems, ['Enter why the device is not ours or cannot be reached (at least 5 characters).']);
    assert.deepEqual(checkNotOursInput('Stolen laptop, reported to police').problems, []);
  });
});

describe('escalation timing', () => {
  const h = 3_600_000;
  const flagged = Date.parse(FLAG);
  test('first at the escalation age, then every reminder interval', () => {
    const at = (hours: number) => new Date(flagged + hours * h);
    assert.equal(reminderDue({ flaggedAt: FLAG, escalatedAt: null, lastReminderAt: null }, at(71.9), 72, 24), false);
    assert.equal(reminderDue({ flaggedAt: FLAG, escalatedAt: null, lastReminderAt: null }, at(72), 72, 24), true);
    const after = { flaggedAt: FLAG, escalatedAt: at(72).toISOString(), lastReminderAt: at(72).toISOString() };
    assert.equal(reminderDue(after, at(95), 72, 24), false);
    assert.equal(reminderDue(after, at(96), 72, 24), true);
  });

  test('ages in words', () => {
    assert.equal(ageText(FLAG, new Date(flagged + 3 * 86_400_000 + 4 * h)), '3 days 4 hours');
    assert.equal(ageText(FLAG, new Date(flagged + 86_400_000)), '1 day');
    assert.equal(ageText(FLAG, new Date(flagged + 5 * h + 60_000)), '5 hours');
    assert.equal(ageText(FLAG, new Date(flagged + 12 * 60_000)), '12 minutes');
  });

  test('timeline words', () => {
    assert.match(timelineText('opened', { reason: 'Phishing sent', evidenceRef: 'INC-9', sessions: 2, tokens: 1 }), /^Marked compromised: Phishing sent \(evidence: INC-9\)\. 2 session\(s\) ended, 1 API token\(s\) revoked/);
    assert.match(timelineText('notified', { recipients: '' }), /no Local Administrator/);
  });
});
