import { decodeBody, decodeText, filenameOf, headerFields, type MimePart, parseMime } from '../platform/mail/mime/index.js';

/**
 * What a report holds: the reported messages (samples) exactly as they were attached.
 * Pure: no I/O, never throws on malformed input.
 */

export type SampleFormat = 'rfc822' | 'msg' | 'headers-only' | 'inline';

export interface ExtractedSample {
  /** The attachment's bytes after removing its transfer encoding: the original, verbatim. */
  bytes: Buffer;
  format: SampleFormat;
  filename: string | null;
}

export interface ReportIntake {
  kind: 'attachment' | 'arf' | 'inline' | 'direct';
  samples: ExtractedSample[];
  /** True when the reported message was forwarded inline: its original headers are gone. */
  headersLost: boolean;
  /** Fields of an ARF (RFC 5965) feedback report, lower-case names. */
  arf: Record<string, string[]> | null;
  /** The reporter's own words (first text part outside the samples), shortened. */
  comment: string | null;
  /** Notes for the analyst about parts that were not taken as samples. */
  problems: string[];
}

/** Compound File Binary (OLE2) signature: how an Outlook .msg file starts. */
const OLE_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

export function isOutlookMsg(bytes: Buffer): boolean {
  return bytes.length >= 512 && bytes.subarray(0, 8).equals(OLE_MAGIC);
}

/** Whether bytes plausibly hold an RFC 822 message: a header field in the first line. */
export function looksLikeRfc822(bytes: Buffer): boolean {
  const head = bytes.subarray(0, 1000).toString('latin1');
  return /^(?:From [^\n]*\n)?[\x21-\x39\x3b-\x7e]+:/.test(head);
}

const COMMENT_MAX = 2000;

/**
 * Splits mail sent to a reporting address into samples: each message/rfc822 part, .eml
 * or .msg attachment is one sample; an ARF report's message (or its headers) is one; a
 * report with none of these was forwarded inline and is itself kept as a "headers lost"
 * sample.
 */
export function splitReport(raw: Buffer): ReportIntake {
  const root = parseMime(raw);
  const problems: string[] = [];
  // RFC 5965 puts the feedback report at the top (multipart/report); some senders wrap it in multipart/mixed.
  const feedback = root.children.length ? findPart(root, (p) => p.contentType === 'message/feedback-report') : null;
  if (feedback) return splitArf(root, feedback, raw, problems);
  const samples: ExtractedSample[] = [];
  let comment: string | null = null;
  const visit = (p: MimePart, isRoot: boolean): void => {
    if (p.children.length) {
      for (const c of p.children) visit(c, false);
      return;
    }
    const sample = sampleOf(p, problems);
    if (sample) samples.push(sample);
    else if (!isRoot && comment === null && p.contentType === 'text/plain' && p.disposition !== 'attachment') {
      comment = shorten(decodeText(p));
    }
  };
  visit(root, true);
  if (samples.length > 0) return { kind: 'attachment', samples, headersLost: false, arf: null, comment, problems };
  return {
    kind: 'inline',
    samples: [{ bytes: raw, format: 'inline', filename: null }],
    headersLost: true,
    arf: null,
    comment: null,
    problems: [...problems, 'No attached message: the report was forwarded inline, so the original headers are lost.'],
  };
}

/** A sample given directly (API body or portal upload): an RFC 822 message or an Outlook .msg file. */
export function directSample(raw: Buffer, filename: string | null = null): ReportIntake {
  const format: SampleFormat = isOutlookMsg(raw) ? 'msg' : 'rfc822';
  const problems = format === 'rfc822' && !looksLikeRfc822(raw) ? ['The upload does not start with a header field; it is kept as given.'] : [];
  return { kind: 'direct', samples: [{ bytes: raw, format, filename }], headersLost: false, arf: null, comment: null, problems };
}

function sampleOf(p: MimePart, problems: string[]): ExtractedSample | null {
  const filename = filenameOf(p);
  const name = filename?.toLowerCase() ?? '';
  const isRfc822 = p.contentType === 'message/rfc822' || p.contentType === 'message/global';
  const isEml = name.endsWith('.eml');
  const isMsg = name.endsWith('.msg') || p.contentType === 'application/vnd.ms-outlook';
  if (!isRfc822 && !isEml && !isMsg && p.contentType !== 'text/rfc822-headers') return null;
  const bytes = decodeBody(p);
  if (isOutlookMsg(bytes)) return { bytes, format: 'msg', filename };
  if (p.contentType === 'text/rfc822-headers') return { bytes, format: 'headers-only', filename };
  if (isRfc822 || isEml) {
    if (!looksLikeRfc822(bytes)) problems.push(`Attachment ${describe(p)} is not a well-formed message; it is kept as given.`);
    return { bytes, format: 'rfc822', filename };
  }
  problems.push(`Attachment ${describe(p)} is named like an Outlook message but is not one; it was not taken as a sample.`);
  return null;
}

function splitArf(root: MimePart, feedback: MimePart, raw: Buffer, problems: string[]): ReportIntake {
  const arf: Record<string, string[]> = {};
  for (const h of headerFields(decodeBody(feedback))) (arf[h.name] ??= []).push(h.value);
  const original = findPart(root, (p) => p.contentType === 'message/rfc822' || p.contentType === 'message/global')
    ?? findPart(root, (p) => p.contentType === 'text/rfc822-headers');
  const human = findPart(root, (p) => p.contentType === 'text/plain');
  const comment = human ? shorten(decodeText(human)) : null;
  if (!original) {
    problems.push('The ARF report carries no copy of the reported message; the whole report is kept instead.');
    return { kind: 'arf', samples: [{ bytes: raw, format: 'inline', filename: null }], headersLost: true, arf, comment, problems };
  }
  const format: SampleFormat = original.contentType === 'text/rfc822-headers' ? 'headers-only' : 'rfc822';
  if (format === 'headers-only') problems.push('The ARF report carries only the headers of the reported message.');
  return { kind: 'arf', samples: [{ bytes: decodeBody(original), format, filename: filenameOf(original) }], headersLost: false, arf, comment, problems };
}

function findPart(p: MimePart, pred: (p: MimePart) => boolean): MimePart | null {
  if (pred(p)) return p;
  for (const c of p.children) {
    const f = findPart(c, pred);
    if (f) return f;
  }
  return null;
}

function describe(p: MimePart): string {
  const filename = filenameOf(p);
  return filename ? JSON.stringify(filename.slice(0, 100)) : `(${p.contentType})`;
}

function shorten(s: string): string | null {
  const t = s.replace(/\r\n/g, '\n').trim();
  if (!t) return null;
  return t.length > COMMENT_MAX ? t.slice(0, COMMENT_MAX) + '…' : t;
}
