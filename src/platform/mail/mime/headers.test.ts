import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressesIn, decodeWords, fieldValue, fieldValues, parseHead, prependFields, removeFields, withEol } from './index.js';

test('parseHead splits fields, unfolds continuations and finds the body', () => {
  const raw = Buffer.from('From: A <a@x.example>\r\nSubject: one\r\n two\r\nX-Empty:\r\n\r\nBody: not a header\r\n');
  const head = parseHead(raw);
  assert.deepEqual(head.fields.map((f) => f.name), ['from', 'subject', 'x-empty']);
  assert.equal(fieldValue(head, 'subject'), 'one two');
  assert.equal(fieldValue(head, 'x-empty'), '');
  assert.equal(raw.subarray(head.bodyStart).toString(), 'Body: not a header\r\n');
  assert.equal(head.eol, '\r\n');
});

test('bare LF messages, messages without a body and malformed lines never throw', () => {
  const lf = parseHead(Buffer.from('To: b@y.example\nSubject: s\n\nbody\n'));
  assert.equal(lf.eol, '\n');
  assert.equal(fieldValue(lf, 'to'), 'b@y.example');
  const noBody = Buffer.from('Subject: only a header');
  assert.equal(parseHead(noBody).bodyStart, noBody.length);
  const junk = parseHead(Buffer.from('From nobody Mon Jan 1\r\nthis line has no colon\r\nTo: c@z.example\r\n\r\n'));
  assert.deepEqual(junk.fields.map((f) => f.name), ['', '', 'to']);
  assert.deepEqual(parseHead(Buffer.alloc(0)).fields, []);
});

test('white space before the colon (RFC 5322 obsolete syntax, which readers still show) does not hide a field', () => {
  const head = parseHead(Buffer.from('From : no-reply@platform.example\r\nSubject\t: hi\r\nFr om: x\r\nFrom nobody Mon Jan 1 10:00:00 2026\r\n\r\n'));
  assert.deepEqual(head.fields.map((f) => f.name), ['from', 'subject', '', '']);
  assert.equal(fieldValue(head, 'from'), 'no-reply@platform.example');
});

test('removeFields drops exactly the given fields (continuation lines included); prependFields adds in front', () => {
  const raw = Buffer.from('A: 1\r\nAuthentication-Results: x;\r\n  dkim=pass\r\nB: 2\r\n\r\nbody');
  const head = parseHead(raw);
  const out = removeFields(raw, head.fields.filter((f) => f.name === 'authentication-results'));
  assert.equal(out.toString(), 'A: 1\r\nB: 2\r\n\r\nbody');
  assert.equal(removeFields(raw, []), raw);
  assert.equal(prependFields(out, 'C: 3\r\n').toString(), 'C: 3\r\nA: 1\r\nB: 2\r\n\r\nbody');
  assert.equal(withEol('X: 1\r\n\ty\r\n', '\n'), 'X: 1\n\ty\n');
});

test('addressesIn flattens groups and lower-cases; junk gives nothing', () => {
  assert.deepEqual(addressesIn('"Lee, A" <Lee.A@Example.org>, team: b@x.example, c@y.example;'), ['lee.a@example.org', 'b@x.example', 'c@y.example']);
  assert.deepEqual(addressesIn('undisclosed-recipients:;'), []);
  assert.deepEqual(fieldValues(parseHead(Buffer.from('To: a@x.example\r\nTo: b@x.example\r\n\r\n')), 'to'), ['a@x.example', 'b@x.example']);
});

test('decodeWords decodes RFC 2047 words for display and leaves unknown ones alone', () => {
  assert.equal(decodeWords('=?utf-8?B?UGFzc3dvcmQgZXhwaXJ5?='), 'Password expiry');
  assert.equal(decodeWords('=?iso-8859-1?Q?caf=E9_cr=E8me?= now'), 'café crème now');
  assert.equal(decodeWords('=?utf-8?q?a?= =?utf-8?q?b?='), 'ab');
  assert.equal(decodeWords('=?x-unknown?B?AAAA?='), '=?x-unknown?B?AAAA?=');
});
