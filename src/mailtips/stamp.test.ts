import assert from 'node:assert/strict';
import { test } from 'node:test';
import { simpleParser } from 'mailparser';
import { MARKER } from './banner.js';
import type { TipDecision } from './mailtips.js';
import { stampTips, stripImitations } from './stamp.js';

const tip: TipDecision = { firstContact: true, lowVolume: false, senderCount: 7, threshold: 5, windowDays: 90, accountLinkWarning: false, exempt: null };
const opts = { serviceName: 'Postwärden', noReplyAddress: 'no-reply@mail.example.org' };
const msg = (lines: string[], eol = '\r\n'): Buffer => Buffer.from(lines.join(eol), 'utf8');
const count = (s: string, sub: string): number => s.split(sub).length - 1;

test('no tip: the very same buffer comes back', () => {
  const raw = msg(['Subject: x', '', 'hi', '']);
  assert.equal(stampTips(raw, { ...tip, firstContact: false }, opts), raw);
});

test('quoted-printable HTML: banner right after <body>, split mid-line with a soft break; text intact; lines ≤ 76', async () => {
  const raw = msg(['From: a@x.example', 'Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable', '',
    '<html><head><title>x</title></head><body style=3D"margin:0"><p>Hello w=C3=B6rld</p></body></html>', '']);
  const out = stampTips(raw, tip, opts);
  const parsed = await simpleParser(out);
  const html = String(parsed.html);
  assert.match(html, new RegExp(`<body style="margin:0">\\s*<!--${MARKER}-->`));
  assert.ok(html.includes('<p>Hello wörld</p>'));
  assert.ok(html.includes('Postw&#228;rden'), 'non-ASCII name as a character reference');
  assert.equal(parsed.headers.get('x-postwarden-safety-tip'), 'first-contact');
  const body = out.toString('latin1').split('\r\n\r\n')[1]!;
  for (const line of body.split('\r\n')) assert.ok(line.length <= 76, line);
});

test('base64 text: banner prepended as whole quanta, original base64 lines unchanged', async () => {
  const b64 = Buffer.from('Hello there\r\nSecond line\r\n').toString('base64');
  const raw = msg(['Content-Type: text/plain; charset=iso-8859-1', 'Content-Transfer-Encoding: base64', '', b64, '']);
  const out = stampTips(raw, tip, opts);
  assert.ok(out.toString('latin1').includes('\r\n' + b64 + '\r\n'));
  const text = String((await simpleParser(out)).text);
  assert.match(text, new RegExp(`^\\*\\*\\* Safety tip from Postwarden \\(${MARKER}\\)`));
  assert.ok(text.includes('Hello there\nSecond line'));
});

test('base64 HTML and UTF-16 text are decoded, stamped and re-encoded', async () => {
  const html = Buffer.from('<!DOCTYPE html><html><body><p>Grüße</p></body></html>').toString('base64');
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Hallo Welt\r\n', 'utf16le')]).toString('base64');
  const raw = msg(['Content-Type: multipart/alternative; boundary=b', '', '--b', 'Content-Type: text/plain; charset=utf-16', 'Content-Transfer-Encoding: base64', '', utf16,
    '--b', 'Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: base64', '', html, '--b--', '']);
  const parsed = await simpleParser(stampTips(raw, tip, opts));
  assert.match(String(parsed.html), new RegExp(`<body>\\s*<!--${MARKER}-->[\\s\\S]*<p>Grüße</p>`));
  assert.match(String(parsed.text), new RegExp(`\\(${MARKER}\\)[\\s\\S]*Hallo Welt`));
});

test('header-only message gets a body; LF-only message stays LF-only', async () => {
  const out = stampTips(msg(['Subject: nothing', '']), tip, opts);
  assert.ok(String((await simpleParser(out)).text).includes(`(${MARKER})`));
  const lf = stampTips(msg(['Subject: x', 'Content-Type: text/plain', '', 'body', ''], '\n'), tip, opts);
  assert.equal(lf.includes('\r'), false);
  assert.ok(String((await simpleParser(lf)).text).includes(`(${MARKER})`));
});

test('attachments and forwarded messages keep every byte; only the body part is stamped', () => {
  const inner = ['Content-Type: message/rfc822', '', 'Subject: inner', 'Content-Type: text/html', '', '<body><p>inner</p></body>'].join('\r\n');
  const att = ['Content-Type: text/plain; name="a.txt"', 'Content-Disposition: attachment; filename="a.txt"', '', 'attached text'].join('\r\n');
  const raw = msg(['Content-Type: multipart/mixed; boundary="xx"', '', 'preamble', '--xx', 'Content-Type: text/plain', '', 'body', '--xx', inner, '--xx', att, '--xx--', 'epilogue', '']);
  const out = stampTips(raw, tip, opts).toString('latin1');
  assert.equal(count(out, `(${MARKER})`), 1);
  assert.ok(out.includes(inner) && out.includes(att) && out.includes('preamble\r\n--xx') && out.endsWith('--xx--\r\nepilogue\r\n'));
});

test('strip: nothing to strip returns the same buffer (fast path)', () => {
  const raw = msg(['Subject: hello', 'Content-Type: text/plain', '', 'postwarden is a name; safety tips are good', '']);
  assert.equal(stripImitations(raw), raw);
});

test('strip: forged headers in any case, folded, are removed; other headers stay', async () => {
  const raw = msg(['Received: by mx', 'x-POSTWARDEN-safety-tip: none', 'Subject: hi', 'X-Postwarden-Safety-Tip: first-contact;', '\tlow-volume count=99', 'To: b@y.example', '', 'body', '']);
  const out = stripImitations(raw).toString('latin1');
  assert.equal(out, ['Received: by mx', 'Subject: hi', 'To: b@y.example', '', 'body', ''].join('\r\n'));
});

test('strip: imitation banners (base64 HTML, quoted text, stray markers) go; then exactly one real banner', async () => {
  const fakeHtml = `<html><body><!--${MARKER}--><div data-${MARKER}="1">All clear, trusted sender</div><!--/${MARKER}--><p>Pay now</p><span data-${MARKER}>x</span></body></html>`;
  const fakeText = `> *** Safety tip (${MARKER}) ***\r\n> trusted sender\r\n> *** End (/${MARKER}) ***\r\n>\r\nPay now\r\n`;
  const raw = msg(['Content-Type: multipart/alternative; boundary=b', '', '--b', 'Content-Type: text/plain; charset=us-ascii', 'Content-Transfer-Encoding: quoted-printable', '', fakeText,
    '--b', 'Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: base64', '', Buffer.from(fakeHtml).toString('base64').replace(/.{60}/g, '$&\r\n'), '--b--', '']);
  const stripped = stripImitations(raw);
  const p1 = await simpleParser(stripped);
  assert.equal(String(p1.html).includes('All clear'), false);
  assert.equal(String(p1.html).toLowerCase().includes(MARKER), false);
  assert.equal(String(p1.text).includes('trusted sender'), false);
  assert.ok(String(p1.text).includes('Pay now') && String(p1.html).includes('<p>Pay now</p>'));
  const p2 = await simpleParser(stampTips(stripped, tip, opts));
  assert.equal(count(String(p2.html), `<!--${MARKER}-->`), 1);
  assert.equal(count(String(p2.text), `(${MARKER})`), 1);
});

test('strip undoes our own stamp', async () => {
  const raw = msg(['Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', '<body><p>hi ✓</p></body>', '']);
  const round = stripImitations(stampTips(raw, { ...tip, lowVolume: true, accountLinkWarning: true }, opts));
  assert.equal(round.toString('utf8'), raw.toString('utf8'));
});
