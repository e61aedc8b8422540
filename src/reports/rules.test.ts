import assert from 'node:assert/strict';
import { splitReport } from './intake.js';
import { describe, test } from 'node:test';
import { BlockMatcher, bareAddress, linkedHosts } from './blocklist.js';
import { certEmail, feedbackReport, type CertSample } from './cert.js';
import { renderEmail } from '../platform/notify/render.js';
import { testConfig } from '../platform/testing/app.js';
import { parseSample } from './indicators.js';
import { campaignKeys, checkBlockValue, domainSet, normaliseSubject } from './reports.js';
import { HOSTILE_HTML, phishMessage } from './reports.testing.js';
import { sanitiseSampleHtml } from './safeview.js';
import { collectHtmlUrls, defang, registrableDomain, UrlCollector } from './urls.js';

describe('links', () => {
  test('normalised, defanged, registrable domains, wrappers unwrapped, trailing punctuation dropped', () => {
    const c = new UrlCollector();
    c.addText('See HTTPS://Login.Evil.CO.UK:443/a?b=1). And (www.example.org/path), and hxxp://not-a-url.');
    c.add('https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fhidden.example%2Fx&data=1', 'href');
    const list = c.list();
    assert.deepEqual(list.map((u) => u.url), [
      'https://login.evil.co.uk/a?b=1', 'http://www.example.org/path',
      'https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fhidden.example%2Fx&data=1', 'https://hidden.example/x',
    ]);
    assert.deepEqual(list.map((u) => u.domain), ['evil.co.uk', 'example.org', 'outlook.com', 'hidden.example']);
    assert.equal(defang('https://a.b.example/p.q'), 'hxxps://a[.]b[.]example/p.q');
    assert.equal(registrableDomain('203.0.113.9'), '203.0.113.9');
    assert.equal(registrableDomain('xn--bcher-kva.example.com'), 'example.com');
  });

  test('HTML: hrefs, images, forms, CSS url(), @import, meta refresh; entities decoded', () => {
    const c = new UrlCollector();
    collectHtmlUrls(HOSTILE_HTML.replace('verify"', 'verify?a=1&amp;b=2"'), c);
    const urls = c.list().map((u) => u.url);
    for (const u of ['https://login.evil-phish.example/verify?a=1&b=2', 'https://evil-phish.example/pixel.gif', 'https://evil-phish.example/post',
      'https://evil-phish.example/bg.png', 'https://evil-phish.example/import.css', 'https://evil-phish.example/refresh', 'http://evil-phish.example/protocol-relative.png']) {
      assert.ok(urls.includes(u), `missing ${u} in ${urls.join(' ')}`);
    }
  });
});

describe('campaigns', () => {
  test('subjects normalised: prefixes, tags and numbers folded', () => {
    assert.equal(normaliseSubject('RE: Fwd: [EXTERNAL] Invoice 48213 overdue!!'), 'invoice # overdue');
    assert.equal(normaliseSubject('AW:  invoice 1 OVERDUE'), 'invoice # overdue');
  });

  test('keys: link domains, subject, sender domain; widely used domains are left out', () => {
    const ignore = domainSet('gmail.com,google.com');
    assert.deepEqual(campaignKeys({ subjectNorm: 'invoice # overdue', senderDomain: 'gmail.com', urlDomains: ['evil.example', 'google.com', 'evil.example'] }, ignore), [
      { kind: 'url-domain', value: 'evil.example' }, { kind: 'subject', value: 'invoice # overdue' },
    ]);
    assert.deepEqual(campaignKeys({ subjectNorm: 'hi', senderDomain: null, urlDomains: [] }, ignore), []);
  });
});

describe('block rules', () => {
  test('values are checked and canonical; the platform\'s own domains cannot be blocked', () => {
    const own = new Set(['postwarden.test']);
    assert.deepEqual(checkBlockValue('sender-address', ' <Bad@Evil.Example> ', own), { value: 'bad@evil.example' });
    assert.deepEqual(checkBlockValue('url-domain', 'Evil.Example.', own), { value: 'evil.example' });
    assert.ok('problem' in checkBlockValue('sender-domain', 'postwarden.test', own));
    assert.ok('problem' in checkBlockValue('sender-domain', 'test', own));
    assert.ok('problem' in checkBlockValue('sender-address', 'not an address', own));
  });

  test('the matcher: sender address, sender domain and below, link domains in decoded bodies; expiry', () => {
    const m = new BlockMatcher([
      { id: 'r1', kind: 'sender-address', value: 'ceo@spoof.example', expiresAt: null, liftedAt: null },
      { id: 'r2', kind: 'sender-domain', value: 'bad-sender.example', expiresAt: null, liftedAt: null },
      { id: 'r3', kind: 'url-domain', value: 'evil-phish.example', expiresAt: '2026-06-01T00:00:00.000Z', liftedAt: null },
    ]);
    const now = '2026-03-01T00:00:00.000Z';
    const clean = phishMessage({ url: 'https://fine.example/', from: 'a@fine.example' });
    assert.equal(m.match(clean, { mailFrom: 'a@fine.example', headerFrom: null }, now), null);
    assert.equal(m.match(clean, { mailFrom: '', headerFrom: '"Boss" <CEO@spoof.example>' }, now)?.ruleId, 'r1');
    assert.equal(m.match(clean, { mailFrom: 'x@mx.bad-sender.example', headerFrom: null }, now)?.ruleId, 'r2');
    // The link is only in a quoted-printable HTML part, behind entities.
    const qp = Buffer.from('From: a@fine.example\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<a href=3D"https&#58;//login.evil-phish.example/x">x</a>\r\n');
    assert.equal(m.match(qp, { mailFrom: 'a@fine.example', headerFrom: null }, now)?.ruleId, 'r3');
    assert.equal(m.match(qp, { mailFrom: 'a@fine.example', headerFrom: null }, '2026-07-01T00:00:00.000Z'), null, 'expired');
    assert.equal(new BlockMatcher([]).match(qp, { mailFrom: '', headerFrom: null }, now), null);
    assert.equal(bareAddress('Name <A@B.example>'), 'a@b.example');
    assert.deepEqual([...linkedHosts(phishMessage())], ['login.evil-phish.example']);
  });
});

describe('emails to reporters', () => {
  test('the acknowledgement explains forwarding as an attachment when headers were lost; the verdict uses the configured wording', () => {
    const config = testConfig({ reportVerdictSpamText: 'Just spam, delete it.' });
    const ack = renderEmail(config, 'reports/acknowledgement', { reportId: 'r-1', sampleCount: 1, headersLost: true, reportAddress: 'spamreports@postwarden.test', subjects: ['Urgent <invoice>'] });
    assert.match(ack.subject, /forward as an attachment/);
    assert.match(ack.text, /Forward as attachment/);
    assert.match(ack.html, /Subject: Urgent &lt;invoice&gt;/);
    const v = renderEmail(config, 'reports/verdict', { reportId: 'r-1', verdict: 'spam', wording: 'Just spam, delete it.', subject: 'Urgent' });
    assert.equal(v.subject, 'The message you reported: spam');
    assert.match(v.text, /Just spam, delete it\./);
  });
});

describe('safe viewing and the CERT email', () => {
  test('sanitised HTML keeps no script, handler, remote load or live link', () => {
    const out = sanitiseSampleHtml(HOSTILE_HTML);
    for (const bad of ['<script', 'onload', 'onerror', 'onclick', '<iframe', '<object', '<form', '<input', '<svg', '<video', '<img', '<meta', '<base', '<link', '<style', 'href=', 'src=', 'url(', 'javascript:']) {
      assert.ok(!out.toLowerCase().includes(bad), `${bad} survived: ${out}`);
    }
    assert.match(out, /<span class="pw-link">here<\/span> <span class="pw-href">\[hxxps:\/\/login\[\.\]evil-phish\[\.\]example\/verify\]<\/span>/);
    assert.match(out, /\[image: tracker — hxxps:\/\/evil-phish\[\.\]example\/pixel\.gif\]/);
    assert.match(out, /Account suspended/);
  });

  test('the submission attaches each original unmodified, with an optional feedback report', async () => {
    const bytes = phishMessage();
    const ind = (await parseSample(bytes)).indicators;
    const s: CertSample = { id: 'x', sha256: 'ab'.repeat(32), format: 'rfc822', bytes, indicators: ind, firstReportedAt: '2026-03-02T10:00:00.000Z', reportCount: 3, verdict: 'phishing' };
    const plain = certEmail([s], { serviceName: 'Postwarden', submissionId: 'sub-1', submittedBy: 'csoc@postwarden.test', arf: false });
    assert.equal(plain.attachments.length, 1);
    assert.equal(plain.attachments[0]!.contentType, 'message/rfc822');
    assert.equal(plain.attachments[0]!.content, bytes, 'the original, unmodified');
    assert.match(plain.text, /hxxps:\/\/login\[\.\]evil-phish\[\.\]example/);
    // ARF: the attachment is itself a complete RFC 5965 report, which our own intake (an
    // independent reader of multipart/report) understands, with the original inside, byte for byte.
    const mail = certEmail([s], { serviceName: 'Postwarden', submissionId: 'sub-1', submittedBy: 'csoc@postwarden.test', arf: true });
    assert.equal(mail.attachments.length, 1);
    assert.equal(mail.attachments[0]!.contentType, 'message/rfc822');
    const report = mail.attachments[0]!.content;
    assert.match(report.toString('latin1'), /^Content-Type: multipart\/report; report-type=feedback-report; boundary="arf-/m);
    const parsed = splitReport(report);
    assert.equal(parsed.kind, 'arf');
    assert.deepEqual(parsed.arf?.['feedback-type'], ['fraud']);
    assert.equal(parsed.samples.length, 1);
    assert.ok(parsed.samples[0]!.bytes.equals(bytes), 'the sample inside the report is byte-identical');
    const fr = feedbackReport(s, 'Postwarden/1');
    assert.match(fr, /^Feedback-Type: fraud\r\n/);
    assert.match(fr, /Source-IP: 203\.0\.113\.9/);
    assert.match(fr, /Reported-Uri: https:\/\/login\.evil-phish\.example\/verify\?id=42/);
  });
});
