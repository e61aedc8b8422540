import { createHash, createPublicKey, createSign, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config.js';

/** The platform's DKIM signing key and the DNS record that publishes it. */
export interface DkimKey {
  domain: string;
  selector: string;
  privateKeyPem: string;
  /** `<selector>._domainkey.<domain>` */
  txtName: string;
  /** `v=DKIM1; k=rsa; p=<base64 SPKI>` */
  txtValue: string;
}

/** Where the key lives: `<data dir>/dkim/<selector>.pem` (mode 0600). */
export function dkimKeyPath(config: Pick<Config, 'dataDir' | 'dkimSelector'>): string {
  return path.join(config.dataDir, 'dkim', `${config.dkimSelector}.pem`);
}

function describe(config: Pick<Config, 'platformDomain' | 'dkimSelector'>, privateKeyPem: string): DkimKey {
  const spki = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'der' }).toString('base64');
  return {
    domain: config.platformDomain,
    selector: config.dkimSelector,
    privateKeyPem,
    txtName: `${config.dkimSelector}._domainkey.${config.platformDomain}`,
    txtValue: `v=DKIM1; k=rsa; p=${spki}`,
  };
}

/**
 * Reads the platform's DKIM key.
 * @throws Error when it does not exist (run `postwarden init`)
 */
export function loadDkimKey(config: Pick<Config, 'dataDir' | 'dkimSelector' | 'platformDomain'>): DkimKey {
  const file = dkimKeyPath(config);
  if (!existsSync(file)) throw new Error(`No DKIM key at ${file}: run \`postwarden init\``);
  return describe(config, readFileSync(file, 'utf8'));
}

/** Creates an RSA-2048 DKIM key when there is none. Idempotent. */
export function ensureDkimKey(config: Pick<Config, 'dataDir' | 'dkimSelector' | 'platformDomain'>): { key: DkimKey; created: boolean } {
  const file = dkimKeyPath(config);
  if (existsSync(file)) return { key: loadDkimKey(config), created: false };
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
  return { key: describe(config, pem), created: true };
}

/**
 * Header fields the platform's signature over-signs (RFC 6376 §8.15): `h=` lists each one
 * time more than the message has it, so a field of that name added anywhere (a second
 * Subject, a Reply-To the message never had) breaks the signature. The gateway requires
 * the same of the platform signature before it calls system mail genuine.
 */
export const OVERSIGNED_FIELDS: readonly string[] = [
  'from', 'sender', 'reply-to', 'to', 'cc', 'subject', 'date', 'message-id', 'in-reply-to', 'references',
  'mime-version', 'content-type', 'content-transfer-encoding', 'resent-from', 'resent-sender', 'resent-to', 'resent-cc',
];

/** Fields never signed: trace fields and signatures that hops add or change on the way. */
const UNSIGNED = new Set(['dkim-signature', 'arc-seal', 'arc-message-signature', 'arc-authentication-results', 'authentication-results', 'received', 'return-path', 'received-spf', 'delivered-to']);

interface RawField { name: string; text: string }

function splitMessage(raw: Buffer): { fields: RawField[]; body: Buffer } {
  const s = raw.toString('binary');
  const end = s.indexOf('\r\n\r\n');
  const head = end === -1 ? s : s.slice(0, end + 2);
  const fields: RawField[] = [];
  for (const line of head.split(/\r\n(?![ \t])/)) {
    if (!line) continue;
    const colon = line.indexOf(':');
    if (colon > 0) fields.push({ name: line.slice(0, colon).trim().toLowerCase(), text: line });
  }
  return { fields, body: end === -1 ? Buffer.alloc(0) : raw.subarray(end + 4) };
}

/** RFC 6376 §3.4.2 relaxed header canonicalization of one field, with its CRLF. */
function relaxedField(text: string): string {
  const colon = text.indexOf(':');
  const value = text.slice(colon + 1).replace(/\r\n/g, '').replace(/[ \t]+/g, ' ').trim();
  return `${text.slice(0, colon).trim().toLowerCase()}:${value}\r\n`;
}

/** RFC 6376 §3.4.4 relaxed body canonicalization. */
function relaxedBody(body: Buffer): Buffer {
  // A bare LF ends a line too, as verifiers read it.
  const lines = body.toString('binary').split(/\r?\n/).map((l) => l.replace(/[ \t]+/g, ' ').replace(/ $/, ''));
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return Buffer.from(lines.length ? `${lines.join('\r\n')}\r\n` : '', 'binary');
}

/**
 * A DKIM-Signature field (rsa-sha256, relaxed/relaxed, `t=` now) for a CRLF message, signed
 * with the platform key: every header field present is signed, and the OVERSIGNED_FIELDS
 * once more than present. Returns the field with its CRLF, to put in front of the message.
 * @throws Error when the key cannot sign
 */
export function signDkim(raw: Buffer, key: Pick<DkimKey, 'domain' | 'selector' | 'privateKeyPem'>, now: Date): string {
  const { fields, body } = splitMessage(raw);
  const counts = new Map<string, number>();
  for (const f of fields) if (!UNSIGNED.has(f.name)) counts.set(f.name, (counts.get(f.name) ?? 0) + 1);
  for (const n of OVERSIGNED_FIELDS) counts.set(n, (counts.get(n) ?? 0) + 1);
  // A verifier takes the instances of a name from the bottom up (RFC 6376 §5.4.2); so do we.
  const names: string[] = [];
  let canon = '';
  for (const [name, n] of counts) {
    const present = fields.filter((f) => f.name === name).reverse();
    for (let i = 0; i < n; i++) {
      names.push(name);
      if (present[i]) canon += relaxedField(present[i]!.text);
    }
  }
  const bh = createHash('sha256').update(relaxedBody(body)).digest('base64');
  const lines = [`v=1; a=rsa-sha256; c=relaxed/relaxed; d=${key.domain}; s=${key.selector}; t=${Math.floor(now.getTime() / 1000)}`, `h=${names.join(':')}`, `bh=${bh}`];
  const unsigned = `DKIM-Signature: ${lines.join(';\r\n\t')};\r\n\tb=`;
  const b = createSign('RSA-SHA256').update(canon + relaxedField(unsigned).replace(/\r\n$/, ''), 'binary').sign(key.privateKeyPem, 'base64');
  return `${unsigned}${b.replace(/(.{72})(?=.)/g, '$1\r\n\t')}\r\n`;
}
