import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectAccountLinkLure, scanAccountLinkLure } from './lure.js';
import { stampTips, stripImitations } from './stamp.js';

test('account-link lures: a request to verify or re-validate an account, with a link', () => {
  assert.equal(detectAccountLinkLure({ text: 'Dear user, please verify your account within 24 hours: https://evil.example/login' }), true);
  assert.equal(detectAccountLinkLure({ html: '<p>Your mailbox is full. <a href="https://x.example">Re-validate your mailbox</a> now.</p>' }), true);
  assert.equal(detectAccountLinkLure({ html: '<p>&#86;erify&nbsp;your e&#x6d;ail account <a href="http://x.example">here</a></p>' }), true);
  assert.equal(detectAccountLinkLure({ text: 'Your password will expire today. Click here to keep it: http://x.example' }), true);
  assert.equal(detectAccountLinkLure({ text: 'Your account will be suspended. Click the link below.\nhttps://x.example' }), true);
  assert.equal(detectAccountLinkLure({ text: 'Your account must be re-validated today: www.x-example.com' }), true);
});

test('not lures: no link, or no account request', () => {
  assert.equal(detectAccountLinkLure({ text: 'Please verify your account details with your manager.' }), false);
  assert.equal(detectAccountLinkLure({ text: 'Minutes of the meeting are at https://intranet.example/minutes' }), false);
  assert.equal(detectAccountLinkLure({ html: '<p>Thank you for confirming your order.</p><a href="https://shop.example">Shop</a>' }), false);
  assert.equal(detectAccountLinkLure({}), false);
});

test('scan decodes the body parts of a raw message (quoted-printable HTML)', () => {
  const raw = Buffer.from(['Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable', '', '<a href=3D"https://x.example">Verify your ac=', 'count</a>', ''].join('\r\n'));
  assert.equal(scanAccountLinkLure(raw), true);
  assert.equal(scanAccountLinkLure(Buffer.from('Subject: hi\r\n\r\nSee https://x.example for the agenda.\r\n')), false);
});

test('hostile input stays linear: unterminated tags and markers by the hundred thousand', () => {
  const html = 'see http://x.example ' + '<a href'.repeat(30_000) + '<!--'.repeat(30_000) + '<body '.repeat(30_000) + '&#'.repeat(30_000);
  assert.equal(detectAccountLinkLure({ html }), false);
  const raw = Buffer.from(`Content-Type: text/html\r\n\r\n${html}${'(postwarden-safety-tip)<!--postwarden-safety-tip-->'.repeat(20_000)}\r\n`);
  assert.equal(scanAccountLinkLure(raw), false);
  const stripped = stripImitations(raw);
  assert.equal(stripped.includes('postwarden-safety-tip'), false);
  assert.ok(stampTips(stripped, { firstContact: true, lowVolume: false, senderCount: 9, threshold: 5, windowDays: 90, accountLinkWarning: false, exempt: null }, { serviceName: 'P' }).length > raw.length / 2);
});
