import type { Indicators } from './indicators.js';
import type { SampleFormat } from './intake.js';

/**
 * The email to the CERT: a short summary, and each original sample attached unmodified
 * (message/rfc822; an Outlook file as itself). Optionally an RFC 5965 feedback report
 * (Feedback-Type: fraud) per sample. Pure: builds values, sends nothing.
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
    if (opts.arf) attachments.push({ filename: `feedback-${s.sha256.slice(0, 12)}.txt`, contentType: 'message/feedback-report', content: Buffer.from(feedbackReport(s, `${opts.serviceName}/1`)) });
    attachments.push({ filename: `sample-${s.sha256.slice(0, 12)}.${t.ext}`, contentType: t.type, content: s.bytes });
  }
  return { subject, text, attachments };
}
