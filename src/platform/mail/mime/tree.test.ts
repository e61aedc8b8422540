import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeBody, decodeCharset, decodeQuotedPrintable, decodeText, decodeWords, filenameOf, findBodyParts, leaves, lineBreakOf, MIME_CONTENT, MIME_DISPLAY, type MimePart, paramText,
  parseHeaderValue, parseMime,
} from './index.js';

function nested(levels: number): Buffer {
  let msg = 'Content-Type: text/plain\r\n\r\nbottom';
  for (let i = 0; i < levels; i++) msg = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${msg}\r\n--b${i}--`;
  return Buffer.from(msg);
}

function chainOf(root: MimePart): MimePart[] {
  const chain: MimePart[] = [];
  for (let p: MimePart | undefined = root; p; p = p.children[0]) chain.push(p);
  return chain;
}

test('each reading stops hostile nesting at its own depth: 24 for content, 40 for the displayed body', () => {
  const raw = nested(5_000);
  for (const [reading, depth] of [[MIME_CONTENT, 24], [MIME_DISPLAY, 40]] as const) {
    const chain = chainOf(parseMime(raw, reading));
    assert.equal(chain.length, depth + 1, `parts at depths 0–${depth}`);
    assert.equal(chain.at(-1)!.contentType, 'multipart/mixed');
    assert.equal(chain.at(-1)!.params.boundary, `b${5_000 - depth - 1}`);
  }
  assert.equal(chainOf(parseMime(raw)).length, 25, 'the default reading is MIME_CONTENT');
});

test('the part budget (2,000) bounds a wide message in both readings', () => {
  const parts = Array.from({ length: 5_000 }, (_, i) => `--w\r\nContent-Type: text/plain\r\n\r\n${i}\r\n`).join('');
  const raw = Buffer.from(`Content-Type: multipart/mixed; boundary="w"\r\n\r\n${parts}--w--\r\n`);
  for (const reading of [MIME_CONTENT, MIME_DISPLAY]) assert.equal(leaves(parseMime(raw, reading)).length, 1999);
});

test('white space after a boundary is transport padding for content, not for the mailsplit view', () => {
  const raw = Buffer.from('Content-Type: multipart/mixed; boundary="x"\r\n\r\n--x  \r\nContent-Type: text/plain\r\n\r\none\r\n--x\t\r\nContent-Type: message/rfc822\r\n\r\nSubject: hi\r\n\r\nbody\r\n--x-- \r\n');
  const content = parseMime(raw);
  assert.deepEqual(content.children.map((p) => [p.contentType, p.body.toString()]), [['text/plain', 'one'], ['message/rfc822', 'Subject: hi\r\n\r\nbody']]);
  assert.equal(parseMime(raw, MIME_DISPLAY).children.length, 0, 'mailsplit sees no delimiter, so no part');
});

test('a part body is a view of the message: offsets, decoding, charset, filename', () => {
  const raw = Buffer.from([
    'Content-Type: multipart/mixed; boundary="m"', '', '--m',
    'Content-Type: text/plain; charset="ISO-8859-1"', 'Content-Transfer-Encoding: quoted-printable', '', 'caf=E9 =  ', 'cr=E8me', '--m',
    "Content-Type: application/pdf; name*=utf-8''%C3%A9t%C3%A9.pdf", 'Content-Transfer-Encoding: base64', '', 'JVBE', 'Rg==', '--m--', '',
  ].join('\r\n'));
  const root = parseMime(raw);
  const [text, pdf] = root.children as [MimePart, MimePart];
  assert.equal(text.body.buffer, raw.buffer, 'no copy');
  assert.equal(raw.subarray(text.bodyStart, text.end).toString(), text.body.toString());
  assert.equal(decodeText(text), 'café crème', 'QP soft break with white space before the line end');
  assert.equal(filenameOf(pdf), 'été.pdf');
  assert.equal(decodeBody(pdf).toString(), '%PDF');
  assert.deepEqual(findBodyParts(root), { text });
});

test('parameters: as written for structure, decoded for display (continuations over extended over plain)', () => {
  const { value, params } = parseHeaderValue('Attachment; filename="a \\"b\\".eml"; filename="second"; name*0="lo"; name*1*=%C3%A9; name*=x');
  assert.equal(value, 'attachment');
  assert.equal(params.filename, 'a "b".eml', 'first one wins, quotes unescaped');
  assert.equal(paramText(params, 'name'), 'loé');
  assert.equal(paramText({ name: '=?utf-8?B?w6l0w6k=?=', 'name*': "utf-8''plain" }, 'name'), 'plain');
  assert.equal(paramText({ name: '=?utf-8?B?w6l0w6k=?=' }, 'name'), 'été');
  assert.equal(paramText({}, 'name'), null);
});

test('encoded words, charsets and quoted-printable are lenient where mail is, never throw', () => {
  assert.equal(decodeWords('=?utf-8?B?w6l0w6k=?= =?iso-8859-1?Q?caf=E9?= x'), 'étécafé x');
  assert.equal(decodeWords('=?utf-8*en?Q?a_b?='), 'a b');
  assert.equal(decodeCharset(Buffer.from([0x63, 0x61, 0x66, 0xe9]), 'x-unknown'), 'café', 'unknown charset: latin1');
  assert.equal(decodeCharset(Buffer.from('été'), '"UTF-8"'), 'été');
  assert.equal(decodeQuotedPrintable(Buffer.from('a=3Db=ZZc=\r\nd=')).toString(), 'a=b=ZZcd');
  assert.equal(lineBreakOf(Buffer.from('A: 1\nB: 2\r\n')), '\n');
  assert.equal(lineBreakOf(Buffer.from('A: 1\r\n')), '\r\n');
  assert.equal(lineBreakOf(Buffer.from('A: 1')), '\r\n');
});
