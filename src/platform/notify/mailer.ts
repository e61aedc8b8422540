import { randomUUID } from 'node:crypto';
import path from 'node:path';
import nodemailer from 'nodemailer';
import addressparser from 'nodemailer/lib/addressparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { Config } from '../config/config.js';
import { parseDatabaseUrl } from '../db/db.js';
import type { Logger } from '../log/log.js';
import { deliverToMaildir } from '../mail/maildir.js';
import { type DkimKey, ensureDkimKey, loadDkimKey, signDkim } from './dkim.js';

/** One outgoing email, as every capability hands it to the platform. */
export interface OutgoingEmail {
  /** Default `no-reply@<platform domain>` (with the service name as display name). */
  from?: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
  attachments?: { filename: string; contentType: string; content: Buffer }[];
  headers?: Record<string, string>;
  /** `<id@domain>`; default a random id at the platform domain. Stable ids let receivers drop a duplicate. */
  messageId?: string;
  /** Date header; default now. */
  date?: Date;
}

export interface MailerDeps {
  config: Config;
  logger?: Logger;
}

const keys = new Map<string, DkimKey>();

/**
 * The platform's DKIM key. On the embedded (SQLite) setup a missing key is created, as
 * `init` would; with PostgreSQL (several nodes) every node must share the key that DNS
 * publishes, so a missing key is an error.
 * @throws Error when there is no key and it must not be created here
 */
export function platformDkimKey(config: Config): DkimKey {
  const cacheKey = `${config.dataDir}|${config.dkimSelector}|${config.platformDomain}`;
  let key = keys.get(cacheKey);
  if (!key) {
    key = parseDatabaseUrl(config.databaseUrl).dialect === 'sqlite' ? ensureDkimKey(config).key : loadDkimKey(config);
    keys.set(cacheKey, key);
  }
  return key;
}

/** The bare address of a From value such as `Name <a@b>` (lower-cased). */
export function addressOf(value: string): string {
  const parsed = addressparser(value, { flatten: true });
  const a = parsed[0]?.address;
  if (!a || parsed.length !== 1) throw new Error('expected exactly one address');
  return a.toLowerCase();
}

/** The platform's sender: `"<service name>" <no-reply@<platform domain>>`. */
export function defaultFrom(config: Config): string {
  return `"${config.serviceName.replace(/["\\\r\n]/g, '')}" <no-reply@${config.platformDomain}>`;
}

/**
 * Builds the MIME message and DKIM-signs it with the platform key (rsa-sha256,
 * relaxed/relaxed, d=<platform domain>, originator and content fields over-signed: see
 * `signDkim`). Returns the exact bytes that are sent.
 * @throws Error when the key is unavailable or the message cannot be built
 */
export async function composeSignedEmail(config: Config, msg: OutgoingEmail): Promise<{ raw: Buffer; messageId: string; envelope: { from: string; to: string } }> {
  const from = msg.from ?? defaultFrom(config);
  const messageId = msg.messageId ?? `<${randomUUID()}@${config.platformDomain}>`;
  const date = msg.date ?? new Date();
  const unsigned = await new MailComposer({
    from, to: msg.to, subject: msg.subject, text: msg.text, html: msg.html, messageId, date,
    headers: { 'Auto-Submitted': 'auto-generated', ...msg.headers },
    attachments: msg.attachments?.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })),
  }).compile().build();
  const signature = signDkim(unsigned, platformDkimKey(config), date);
  return { raw: Buffer.concat([Buffer.from(signature, 'binary'), unsigned]), messageId, envelope: { from: addressOf(from), to: addressOf(msg.to) } };
}

type Transport = ReturnType<typeof nodemailer.createTransport>;
const transports = new Map<string, Transport>();

/** A pooled transport to the smarthost (one per URL, reused). */
function smarthost(config: Config): Transport {
  const url = config.smarthostUrl!;
  let t = transports.get(url);
  if (!t) {
    const u = new URL(url);
    const secure = u.protocol === 'smtps:';
    t = nodemailer.createTransport({
      host: u.hostname.replace(/^\[|\]$/g, ''),
      port: u.port ? Number(u.port) : secure ? 465 : 587,
      secure,
      requireTLS: !secure && config.smarthostRequireTls,
      auth: u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : undefined,
      pool: true,
      maxConnections: 4,
      // Bounded well below the outbox lease, so a hung relay never lets two nodes send one row.
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 60_000,
      name: config.platformDomain,
    });
    transports.set(url, t);
  }
  return t;
}

/** Closes pooled smarthost connections (at shutdown). */
export function closeMailer(): void {
  for (const t of transports.values()) t.close();
  transports.clear();
}

/**
 * Sends one email: composed with nodemailer, DKIM-signed with the platform key, then
 * relayed through the configured smarthost (`smarthostUrl`, STARTTLS or TLS, with auth),
 * or by default delivered into the local Maildir `<data dir>/mail/<address>/`. Resolves
 * when the relay accepted the message or the Maildir file is durable. Never logs the body.
 * @throws Error when the relay refuses or cannot be reached, or delivery fails (callers retry)
 */
export async function sendEmail(deps: MailerDeps, msg: OutgoingEmail): Promise<{ messageId: string }> {
  const { config } = deps;
  const { raw, messageId, envelope } = await composeSignedEmail(config, msg);
  if (config.smarthostUrl) {
    await smarthost(config).sendMail({ envelope: { from: envelope.from, to: [envelope.to] }, raw });
    deps.logger?.info({ messageId, via: 'smarthost' }, 'email relayed');
  } else {
    await deliverToMaildir(path.join(config.dataDir, 'mail'), envelope.to, raw);
    deps.logger?.info({ messageId, via: 'maildir' }, 'email delivered locally');
  }
  return { messageId };
}
