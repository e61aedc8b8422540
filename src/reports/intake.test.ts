import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { internalOrigin, parseSample } from './indicators.js';
import { directSample, splitReport } from './intake.js';
import { decodeWords, type MimePart, parseMime, parseParams, splitMultipart } from '../platform/mail/mime/index.js';
import { buildTestMsg } from './msg.testing.js';
import { msgToRfc822 } from './msg.js';
import { arfReport, inlineForward, phishMessage, reportWith } from './reports.testing.js';

describe('MIME walker', () => {
  test('multipart parts are cut exactly: the line break before a delimiter belongs to it', () => {
    const body = Buffer.from('preamble\r\n--b\r\nA: 1\r\n\r\none\r\n\r\n--b\nB: 2\n\ntwo\n--b--\r\nepilogue');
    const parts = splitMultipart(body, 'b');
    assert.deepEqual(parts.map((p) => p.toString()), ['A: 1\r\n\r\none\r\n', 'B: 2\n\ntwo']);
    // A longer boundary that starts with ours is not a delimiter.
    assert.equal(splitMultipart(Buffer.from('--b\r\nx\r\n--bb\r\ny\r\n--b--'), 'b')[0]!.toString(), 'x\r\n--bb\r\ny');
  });

  test('parameters: quoting, RFC 2231 continuations and charsets, RFC 2047 words', () => {
    assert.deepEqual(parseParams('Attachment; filename="a \\"b\\".eml"').params, { filename: 'a "b".eml' });
    assert.equal(parseParams("attachment; filename*=utf-8''%C3%A9t%C3%A9.eml").params.filename, 'été.eml');
    assert.equal(parseParams('attachment; filename*0="long"; filename*1="name.msg"').params.filename, 'longname.msg');
    assert.equal(decodeWords('=?utf-8?B?w6l0w6k=?= =?iso-8859-1?Q?caf=E9?='), 'étécafé');
  });

  test('hostile nesting (10,000 multiparts deep) stops at depth 24 instead of exhausting the stack', () => {
    const levels = 10_000; // far beyond what recursion without a limit survives (about 2,000 frames here)
    let msg = 'Content-Type: text/plain\r\n\r\nbottom';
    for (let i = 0; i < levels; i++) msg = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${msg}\r\n--b${i}--`;
    const started = performance.now();
    let root: MimePart | undefined;
    try {
      root = parseMime(Buffer.from(msg));
    } catch (err) {
      assert.fail(`the walker threw ${(err as Error).name}: ${(err as Error).message}`);
    }
    assert.ok(performance.now() - started < 5000, 'and in bounded time');
    const chain: MimePart[] = [];
    for (let p: MimePart | undefined = root; p; p = p.children[0]) chain.push(p);
    assert.equal(chain.length, 25, 'parts at depths 0–24: the limit (24) is what stopped the walk');
    const deepest = chain.at(-1)!;
    assert.equal(deepest.contentType, 'multipart/mixed', 'the part at the limit is a multipart left unsplit');
    assert.deepEqual(deepest.children, []);
    assert.equal(deepest.params.boundary, `b${levels - 25}`);
  });

  test('hostile width (100,000 parts) stops at the part budget of 2,000', () => {
    const parts = Array.from({ length: 100_000 }, (_, i) => `--w\r\nContent-Type: text/plain\r\n\r\n${i}\r\n`).join('');
    const root = parseMime(Buffer.from(`Content-Type: multipart/mixed; boundary="w"\r\n\r\n${parts}--w--\r\n`));
    assert.equal(root.children.length, 1999, 'the root and 1,999 children: 2,000 parts in all');
    assert.equal(root.children.at(-1)!.body.toString().trim(), '1998');
  });
});

describe('report intake', () => {
  const sample = phishMessage({ eol: '\n' });

  test('a message/rfc822 attachment (base64 or 8bit) is the sample, byte for byte', () => {
    for (const encoding of ['base64', '8bit'] as const) {
      const r = splitReport(reportWith([{ bytes: sample, encoding }]));
      assert.equal(r.kind, 'attachment');
      assert.equal(r.samples.length, 1);
      assert.ok(r.samples[0]!.bytes.equals(sample), encoding);
      assert.equal(r.comment, 'This looks like phishing.');
    }
  });

  test('.eml and .msg files and several attachments make several samples', () => {
    const msg = buildTestMsg({ subject: 'Invoice 7', senderEmail: 'bad@evil-phish.example', body: 'Pay https://pay.evil-phish.example/' });
    const r = splitReport(reportWith([
      { bytes: sample, contentType: 'application/octet-stream', filename: 'suspicious.eml' },
      { bytes: msg, contentType: 'application/vnd.ms-outlook', filename: 'invoice.msg' },
      { bytes: Buffer.from('%PDF-1.4 not a message'), contentType: 'application/pdf', filename: 'scan.pdf' },
    ]));
    assert.deepEqual(r.samples.map((s) => s.format), ['rfc822', 'msg']);
    assert.ok(r.samples[1]!.bytes.equals(msg));
    assert.equal(r.samples[0]!.filename, 'suspicious.eml');
  });

  test('an ARF report is understood: fields kept, the reported message is the sample', () => {
    const r = splitReport(arfReport(sample));
    assert.equal(r.kind, 'arf');
    assert.deepEqual(r.arf?.['feedback-type'], ['fraud']);
    assert.ok(r.samples[0]!.bytes.equals(sample));
  });

  test('an inline forward is kept whole and flagged "headers lost"; the sender is read from the text', async () => {
    const raw = inlineForward();
    const r = splitReport(raw);
    assert.equal(r.kind, 'inline');
    assert.equal(r.headersLost, true);
    assert.ok(r.samples[0]!.bytes.equals(raw));
    const p = await parseSample(raw, { headersLost: true });
    assert.equal(p.indicators.from?.address, 'billing@invoice-fraud.example');
    assert.equal(p.indicators.fromForwardedText, true);
    assert.equal(p.indicators.subject, 'Urgent invoice');
    assert.deepEqual(p.indicators.urlDomains, ['invoice-fraud.example']);
  });

  test('a direct upload is one sample; an Outlook file is recognised by its signature', () => {
    assert.equal(directSample(sample).samples[0]!.format, 'rfc822');
    assert.equal(directSample(buildTestMsg({ subject: 's', senderEmail: 'a@b.example', body: 'x' })).samples[0]!.format, 'msg');
  });
});

describe('indicators', () => {
  test('headers, links (decoded, defanged, registrable domain), attachments hashed', async () => {
    const p = await parseSample(phishMessage({ authResults: 'mx.postwarden.test; spf=fail smtp.mailfrom=evil-phish.example; dkim=none' }));
    const ind = p.indicators;
    assert.equal(ind.from?.address, 'helpdesk@evil-phish.example');
    assert.deepEqual(ind.replyTo.map((m) => m.address), ['collect@drop.example']);
    assert.equal(ind.returnPath, 'bounce@evil-phish.example');
    assert.deepEqual(ind.received[0]!.ips, ['203.0.113.9']);
    assert.equal(ind.authenticationResults[0]!.results[0]!.result, 'fail');
    assert.equal(ind.subjectNorm, 'your mailbox is full verify your account #');
    assert.deepEqual(ind.urls.map((u) => u.defanged), ['hxxps://login[.]evil-phish[.]example/verify?id=42']);
    assert.deepEqual(ind.urls[0]!.sources.sort(), ['href', 'text']);
    assert.deepEqual(ind.urlDomains, ['evil-phish.example']);
  });

  test('an Outlook file is converted for viewing, with its transport headers', async () => {
    const msg = buildTestMsg({
      subject: 'Invoice 7', senderEmail: 'bad@evil-phish.example', body: 'Pay at https://pay.evil-phish.example/x',
      headers: 'Received: from a by b; Mon, 2 Mar 2026 10:00:00 +0000\r\nFrom: Bad <bad@evil-phish.example>\r\nSubject: Invoice 7\r\n',
      attachment: { name: 'invoice.pdf', mime: 'application/pdf', content: Buffer.from('%PDF') },
    });
    const p = await parseSample(msgToRfc822(msg));
    assert.equal(p.indicators.subject, 'Invoice 7');
    assert.equal(p.indicators.received.length, 1);
    assert.deepEqual(p.indicators.attachments.map((a) => [a.filename, a.size]), [['invoice.pdf', 4]]);
    assert.deepEqual(p.indicators.urlDomains, ['evil-phish.example']);
  });

  test('internal origin needs a pass, aligned, stamped by the platform, for a platform domain', async () => {
    const own = new Set(['trust.example']);
    const at = async (ar: string, from = 'alice@trust.example'): Promise<string | null> =>
      internalOrigin((await parseSample(phishMessage({ from, authResults: ar }))).indicators, 'postwarden.test', own);
    assert.equal(await at('postwarden.test; dkim=pass header.d=trust.example'), 'alice@trust.example');
    assert.equal(await at('postwarden.test; dmarc=pass header.from=trust.example'), 'alice@trust.example');
    assert.equal(await at('elsewhere.example; dkim=pass header.d=trust.example'), null, 'another authserv-id is not trusted');
    assert.equal(await at('postwarden.test; dkim=pass header.d=other.example'), null, 'not aligned');
    assert.equal(await at('postwarden.test; dkim=fail header.d=trust.example'), null);
    assert.equal(await at('postwarden.test; dkim=pass header.d=evil.example', 'x@evil.example'), null, 'not a platform domain');
  });
});
