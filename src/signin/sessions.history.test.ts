import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeUserAgent, formatTime, groupDevices, shortDeviceId, type SigninEventRow } from './history.js';

test('user agents become plain words', () => {
  const cases: [string, string][] = [
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36', 'Chrome 126 on Windows'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87', 'Edge 126 on Windows'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', 'Safari 17 on macOS'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', 'Safari 17 on iOS'],
    ['Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', 'Firefox 128 on Linux'],
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36', 'Chrome 126 on Android'],
    ['curl/8.5.0', 'curl 8'],
    ['', 'Unknown browser'],
    ['something odd', 'Unknown browser'],
  ];
  for (const [ua, want] of cases) assert.equal(describeUserAgent(ua), want, ua);
});

test('device ids are shortened; a missing one says so', () => {
  assert.equal(shortDeviceId('abcdefghijklmnopqrstuvwx'), 'abcdefgh');
  assert.equal(shortDeviceId(null), 'None');
});

test('times are shown in one unambiguous form', () => {
  assert.equal(formatTime('2026-11-30T14:05:09.123Z'), '2026-11-30 14:05 UTC');
});

const ev = (at: string, o: Partial<SigninEventRow> = {}): SigninEventRow => ({
  id: at, at, step: 'password', outcome: 'success', ip: '10.0.0.1', userAgent: 'UA-1', deviceId: 'device-aaaaaaaaaaaa', ...o,
});

test('devices: grouped by device id, else by user agent; failures ignored; newest first', () => {
  const devices = groupDevices([
    ev('2026-11-01T10:00:00.000Z'),
    ev('2026-11-01T10:00:05.000Z', { step: 'totp' }),
    ev('2026-11-03T10:00:00.000Z', { ip: '10.0.0.2', userAgent: 'UA-1b' }),
    ev('2026-11-02T09:00:00.000Z', { deviceId: null, userAgent: 'curl/8' }),
    ev('2026-11-04T09:00:00.000Z', { deviceId: null, userAgent: 'curl/8', ip: '192.0.2.9' }),
    ev('2026-11-05T09:00:00.000Z', { deviceId: null, userAgent: 'other' , outcome: 'failure' }),
    ev('2026-11-05T09:00:00.000Z', { deviceId: 'device-bbbbbbbbbbbb', outcome: 'locked' }),
  ]);
  assert.equal(devices.length, 2);
  assert.deepEqual(devices[0], {
    deviceId: null, userAgent: 'curl/8', ips: ['10.0.0.1', '192.0.2.9'], firstSeen: '2026-11-02T09:00:00.000Z', lastSeen: '2026-11-04T09:00:00.000Z', signIns: 2,
  });
  assert.deepEqual(devices[1], {
    deviceId: 'device-aaaaaaaaaaaa', userAgent: 'UA-1b', ips: ['10.0.0.1', '10.0.0.2'], firstSeen: '2026-11-01T10:00:00.000Z', lastSeen: '2026-11-03T10:00:00.000Z', signIns: 2,
  });
});
