import { createHash } from 'node:crypto';
import msgreader, { type FieldsData } from '@kenjiuno/msgreader';
import { encodeWord } from '../platform/mail/mime/index.js';

/**
 * Outlook .msg files (Compound File Binary): the original bytes are kept verbatim as the
 * sample; this builds an RFC 822 *rendition* of them for indicators and safe viewing.
 * The transport headers Outlook kept (Received, Authentication-Results, …) are reused
 * when present, so the rendition carries the indicators the original message had.
 */

// The package is CommonJS with a `default` export: under Node's ESM loader the default
// import is the whole module object, and the class is its `default`.
const MsgReader = msgreader.default;

const DROP = /^(content-type|content-transfer-encoding|mime-version|content-disposition)\s*:/i;

function b64(data: Uint8Array): string {
  return Buffer.from(data).toString('base64').replace(/.{76}(?=.)/g, '$&\r\n');
}

function unfoldedHeaderLines(headers: string): string[] {
  const lines: string[] = [];
  for (const line of headers.replace(/\r\n/g, '\n').split('\n')) {
    if (/^[ \t]/.test(line) && lines.length) lines[lines.length - 1] += '\r\n' + line;
    else if (line.trim()) lines.push(line);
  }
  return lines;
}

/**
 * The RFC 822 rendition of an Outlook .msg file, or throws when the file cannot be read.
 * @throws Error for a file that is not a readable .msg
 */
export function msgToRfc822(original: Buffer): Buffer {
  const reader = new MsgReader(original.buffer.slice(original.byteOffset, original.byteOffset + original.byteLength) as ArrayBuffer);
  const data: FieldsData = reader.getFileData();
  if (data.error) throw new Error(`not a readable Outlook message: ${data.error}`);
  const boundary = `pw-msg-${createHash('sha256').update(original).digest('hex').slice(0, 24)}`;
  const head: string[] = [];
  const transport = data.headers ? unfoldedHeaderLines(data.headers).filter((l) => !DROP.test(l)) : [];
  head.push(...transport);
  const has = (name: string): boolean => transport.some((l) => l.toLowerCase().startsWith(name + ':'));
  if (!has('from') && (data.senderEmail || data.senderName)) {
    head.push(`From: ${data.senderName ? `"${encodeWord(data.senderName.replace(/"/g, ''))}" ` : ''}<${data.senderEmail ?? 'unknown@invalid'}>`);
  }
  if (!has('to') && data.recipients?.length) {
    head.push(`To: ${data.recipients.map((r) => `<${r.smtpAddress ?? r.email ?? 'unknown@invalid'}>`).join(', ')}`);
  }
  if (!has('subject') && data.subject) head.push(`Subject: ${encodeWord(data.subject)}`);
  const when = data.messageDeliveryTime ?? data.clientSubmitTime;
  if (!has('date') && when) head.push(`Date: ${new Date(when).toUTCString()}`);
  head.push('X-Postwarden-Rendition: converted from an Outlook .msg file; the original is kept verbatim');
  head.push('MIME-Version: 1.0', `Content-Type: multipart/mixed; boundary="${boundary}"`);

  const parts: string[] = [];
  if (data.body) parts.push(`Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(Buffer.from(data.body, 'utf8'))}`);
  const html = data.bodyHtml ?? (data.html ? Buffer.from(data.html).toString('utf8') : undefined);
  if (html) parts.push(`Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(Buffer.from(html, 'utf8'))}`);
  for (const att of data.attachments ?? []) {
    // Embedded messages come back re-packed as .msg files; anything unreadable is named, not dropped silently.
    let file: { fileName: string; content: Uint8Array };
    try {
      file = reader.getAttachment(att);
    } catch {
      parts.push(`Content-Type: text/plain; charset=utf-8\r\n\r\n[An attachment of the .msg file could not be read: ${(att.fileName ?? att.name ?? 'unnamed').replace(/[\r\n]/g, ' ')}]`);
      continue;
    }
    const name = (file.fileName || (att.innerMsgContent ? 'embedded.msg' : 'attachment')).replace(/["\r\n\\]/g, '_');
    const type = att.innerMsgContent ? 'application/vnd.ms-outlook' : att.attachMimeTag && /^[\w.+-]+\/[\w.+-]+$/.test(att.attachMimeTag) ? att.attachMimeTag : 'application/octet-stream';
    parts.push(`Content-Type: ${type}\r\nContent-Disposition: attachment; filename="${encodeWord(name)}"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(file.content)}`);
  }
  const body = parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('') + `--${boundary}--\r\n`;
  return Buffer.from(head.join('\r\n') + '\r\n\r\n' + body, 'utf8');
}
