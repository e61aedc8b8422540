import { createHash } from 'node:crypto';
import type { Indicators } from './indicators.js';
import type { SampleFormat } from './intake.js';

/**
 * The email to the CERT: a short summary, and each original sample attached unmodified
 * (message/rfc822; an Outlook file as itself). With the ARF option, each RFC 822 sample
 * travels instead inside a complete RFC 5965 report (multipart/report;
 * report-type=feedback-report: a human-readable part, the message/feedback-report with
 * Feedback-Type: fraud, and the original unmodified), attached as message/rfc822 — so a
 * CERT's ARF tooling reads each report on its own. Pure: builds values, sends nothing.
 */

export interface CertSample {
  id: string;
  sha256: string;
  format: SampleFormat;
  bytes: Buffer;
  indicators: Indicators;
  firstReportedAt: string;
  reportCount: number;
  verdict: string | null;
}

export interface CertAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

export interface CertEmail {
  subject: string;
  text: string;
  attachments: CertAttachment[];
}

const TYPE: Record<SampleFormat, { type: string; ext: string }> = {
  rfc822: { type: 'message/rfc822', ext: 'eml' },
  inline: { type: 'message/rfc822', ext: 'eml' },
  'headers-only': { type: 'text/rfc822-headers', ext: 'txt' },
  msg: { type: 'application/vnd.ms-outlook', ext: 'msg' },
};

/** One line of header text: no line breaks (no header injection from a hostile sample). */
function field(v: string | null | undefined): string {
  return (v ?? '').replace(/[\r\n]+/g, ' ').trim().slice(0, 900);
}

/** An RFC 5965 feedback report (the machine-readable part) for one sample. */
export function feedbackReport(s: CertSample, userAgent: string): string {
  const ind = s.indicators;
  const lines = ['Feedback-Type: fraud', `User-Agent: ${field(userAgent)}`, 'Version: 1'];
  if (ind.returnPath) lines.push(`Original-Mail-From: <${field(ind.returnPath)}>`);
  lines.push(`Arrival-Date: ${new Date(s.firstReportedAt).toUTCString()}`);
  const ip = ind.received.find((h) => h.ips.length)?.ips[0];
  if (ip) lines.push(`Source-IP: ${ip}`);
  if (ind.from) lines.push(`Reported-Domain: ${field(ind.from.domain)}`);
  for (const u of ind.urls.slice(0, 20)) lines.push(`Reported-Uri: ${field(u.url)}`);
  lines.push(`Incidents: ${s.reportCount}`);
  return lines.join('\r\n') + '\r\n';
}

/** Subject, text and attachments of the submission email. */
export function certEmail(samples: readonly CertSample[], opts: { serviceName: string; submissionId: string; submittedBy: string; arf: boolean }): CertEmail {
  const n = samples.length;
  const first = field(samples[0]?.indicators.subject) || '(no subject)';
  const subject = `Phishing sample${n === 1 ? '' : 's'} for analysis from ${opts.serviceName}: ${first.slice(0, 80)}${n > 1 ? ` and ${n - 1} more` : ''}`;
  const blocks = samples.map((s, i) => {
    const ind = s.indicators;
    const lines = [
      `Sample ${i + 1} of ${n}`,
      `  SHA-256:      ${s.sha256}`,
      `  Subject:      ${field(ind.subject) || '(none)'}`,
      `  From:         ${ind.from ? field(ind.from.address) : '(none)'}${ind.fromForwardedText ? ' (read from an inline forward; original headers lost)' : ''}`,
      `  Return-Path:  ${field(ind.returnPath) || '(none)'}`,
      `  Message-ID:   ${field(ind.messageId) || '(none)'}`,
      `  Date:         ${field(ind.date) || '(none)'}`,
      `  Reported:     ${s.reportCount} time${s.reportCount === 1 ? '' : 's'}, first ${s.firstReportedAt}`,
      `  Verdict:      ${s.verdict ?? 'not yet decided'}`,
      `  Format:       ${s.format === 'msg' ? 'Outlook .msg file (attached as received)' : s.format === 'headers-only' ? 'headers only (the reporter sent no body)' : s.format === 'inline' ? 'inline forward (original headers lost)' : 'message/rfc822'}`,
    ];
    if (ind.urls.length) lines.push('  Links (defanged):', ...ind.urls.slice(0, 30).map((u) => `    ${u.defanged}`));
    if (ind.attachments.length) lines.push('  Attachments (not opened):', ...ind.attachments.slice(0, 30).map((a) => `    ${field(a.filename) || '(unnamed)'} ${a.contentType} ${a.size} bytes sha256 ${a.sha256}`));
    return lines.join('\n');
  });
  const text = [
    `${opts.serviceName} submits the following suspected phishing ${n === 1 ? 'sample' : 'samples'} for analysis.`,
    `Each original message is attached unmodified${opts.arf ? ', with an RFC 5965 feedback report (Feedback-Type: fraud)' : ''}.`,
    '',
    ...blocks.flatMap((b) => [b, '']),
    `Submission reference: ${opts.submissionId}`,
    `Submitted by: ${opts.submittedBy}`,
  ].join('\n');
  const attachments: CertAttachment[] = [];
  for (const s of samples) {
    const t = TYPE[s.format];
    // ARF carries message/rfc822 or text/rfc822-headers; an Outlook file goes as itself.
    if (opts.arf && s.format !== 'msg') {
      attachments.push({ filename: `fraud-report-${s.sha256.slice(0, 12)}.eml`, contentType: 'message/rfc822', content: arfReport(s, opts) });
    } else {
      attachments.push({ filename: `sample-${s.sha256.slice(0, 12)}.${t.ext}`, contentType: t.type, content: s.bytes });
    }
  }
  return { subject, text, attachments };
}

/** A boundary that occurs nowhere in `bytes` (derived from the sample's hash; deterministic). */
function boundaryFor(s: CertSample): string {
  for (let i = 0; ; i++) {
    const b = `arf-${createHash('sha256').update(`${s.sha256}:${i}`).digest('hex').slice(0, 32)}`;
    if (!s.bytes.includes(b)) return b;
  }
}

/**
 * One RFC 5965 report for one sample: multipart/report with the human-readable part, the
 * machine-readable feedback report, and the sample unmodified (message/rfc822, or
 * text/rfc822-headers when only headers were reported).
 */
export function arfReport(s: CertSample, opts: { serviceName: string; submissionId: string; submittedBy: string; from?: string; to?: string; date?: Date }): Buffer {
  const boundary = boundaryFor(s);
  const service = field(opts.serviceName).replace(/[^\x20-\x7e]/g, '?');
  const date = (opts.date ?? new Date(s.firstReportedAt)).toUTCString();
  const head = [
    ...(opts.from ? [`From: ${field(opts.from)}`] : []),
    ...(opts.to ? [`To: ${field(opts.to)}`] : []),
    `Date: ${date}`,
    `Subject: Fraud report: sample ${s.sha256.slice(0, 12)} (submission ${field(opts.submissionId)})`,
    `Message-ID: <arf-${s.sha256.slice(0, 24)}-${field(opts.submissionId).replace(/[^A-Za-z0-9.-]/g, '')}@postwarden.invalid>`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=feedback-report; boundary="${boundary}"`,
  ];
  const human = [
    `This is a fraud report from ${service} for a message its users reported as phishing.`,
    `SHA-256 of the original: ${s.sha256}`,
    `Reported ${s.reportCount} time${s.reportCount === 1 ? '' : 's'}, first ${s.firstReportedAt}.`,
  ];
  const originalType = s.format === 'headers-only' ? 'text/rfc822-headers' : 'message/rfc822';
  return Buffer.concat([
    Buffer.from([
      ...head, '',
      `--${boundary}`, 'Content-Type: text/plain; charset=us-ascii', 'Content-Transfer-Encoding: 7bit', '', ...human, '',
      `--${boundary}`, 'Content-Type: message/feedback-report', '', feedbackReport(s, `${service}/1`).replace(/\r\n$/, ''), '',
      `--${boundary}`, `Content-Type: ${originalType}`, 'Content-Disposition: inline', '', '',
    ].join('\r\n')),
    s.bytes,
    // The CRLF before a boundary belongs to the boundary (RFC 2046): the sample keeps its own last bytes.
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}
