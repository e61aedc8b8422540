import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dkimSign } from 'mailauth';
import nodemailer from 'nodemailer';
import type { Config } from '../platform/config/config.js';
import type { Db } from '../platform/db/db.js';
import { createLogger } from '../platform/log/log.js';
import { ensureDkimKey, signDkim } from '../platform/notify/dkim.js';
import type { DnsResolver, LocalZone } from '../platform/smtp/dns.js';
import { testConfig } from '../platform/testing/app.js';
import { type GatewayOptions, type RunningGateway, mailRoot, startGateway } from './gateway.service.js';

/** Test harness of the gateway: a real listener on a loopback port, a stub resolver, a real client. */

export const PLATFORM = 'platform.example';

/** DNS answered from `zone` only; every other name does not exist. Never the network. */
export function stubResolver(zone: LocalZone = {}): DnsResolver {
  return async (name, rrtype) => {
    const answers = zone[name.toLowerCase().replace(/\.$/, '')]?.[rrtype.toUpperCase()];
    if (answers) return answers;
    const err = new Error(`stub DNS: ${name} ${rrtype} does not exist`) as Error & { code: string };
    err.code = 'ENOTFOUND';
    throw err;
  };
}

export interface TestGateway {
  gw: RunningGateway;
  config: Config;
  port: number;
  /** Messages in `new/` of an address's Maildir, oldest name first. */
  maildir(address: string): string[];
  close(): Promise<void>;
}

/** Starts the gateway in this process over `db` with a fresh data directory (and a platform DKIM key). */
export async function startTestGateway(db: Db, opts: { overrides?: Record<string, unknown>; zone?: LocalZone } & Omit<GatewayOptions, 'db' | 'logger'> = {}): Promise<TestGateway> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pw-gw-test-'));
  const config = testConfig({ dataDir: dir, smtpAddr: '127.0.0.1:0', platformDomain: PLATFORM, gatewayWorkers: 0, ...opts.overrides });
  ensureDkimKey(config);
  const gw = await startGateway(config, { db, logger: createLogger('silent'), resolver: opts.resolver ?? stubResolver(opts.zone), mailtips: opts.mailtips, blockList: opts.blockList, nextHop: opts.nextHop, clock: opts.clock });
  return {
    gw, config, port: gw.port,
    maildir: (address) => readMaildir(mailRoot(config), address),
    async close() {
      await gw.close(2000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function readMaildir(root: string, address: string): string[] {
  const dir = path.join(root, address.toLowerCase(), 'new');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().map((f) => readFileSync(path.join(dir, f), 'utf8'));
}

export interface SendResult {
  code: number;
  response: string;
  accepted: string[];
  rejected: string[];
}

/** Sends raw bytes over a fresh SMTP (or LMTP) connection; resolves with the server's answer, never rejects on 4xx/5xx. */
export async function sendRaw(port: number, m: { from: string; to: string[]; raw: string | Buffer; lmtp?: boolean; tls?: boolean }): Promise<SendResult> {
  const t = nodemailer.createTransport({
    host: '127.0.0.1', port, secure: false, lmtp: m.lmtp, ignoreTLS: !m.tls, requireTLS: !!m.tls, tls: { rejectUnauthorized: false }, connectionTimeout: 10_000,
  } as Parameters<typeof nodemailer.createTransport>[0]);
  try {
    const info = (await t.sendMail({ envelope: { from: m.from, to: m.to }, raw: m.raw })) as { response: string; accepted: string[]; rejected: string[] };
    return { code: Number(info.response.slice(0, 3)), response: info.response, accepted: info.accepted.map(String), rejected: info.rejected.map(String) };
  } catch (err) {
    const e = err as { responseCode?: number; response?: string; message: string; rejected?: string[] };
    return { code: e.responseCode ?? 0, response: e.response ?? e.message, accepted: [], rejected: e.rejected ?? m.to };
  } finally {
    t.close();
  }
}

/** A simple message with the given header fields. */
export function message(h: { from: string; to: string; subject?: string; id?: string; extra?: string; body?: string }): string {
  return `From: ${h.from}\r\nTo: ${h.to}\r\nSubject: ${h.subject ?? 'Hello'}\r\nMessage-ID: <${h.id ?? `${Math.random().toString(36).slice(2)}@test.example`}>\r\n${h.extra ?? ''}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${h.body ?? 'Hello there.\r\n'}`;
}

/** The message DKIM-signed with the platform's own key and signer (as the password-expiry reminder is). */
export async function signAsPlatform(config: Config, raw: string): Promise<string> {
  const { key } = ensureDkimKey(config);
  return signDkim(Buffer.from(raw, 'utf8'), key, new Date(Date.now() - 60_000)) + raw;
}

/** The message DKIM-signed with the platform's key by a signer that does not over-sign (mailauth's default), as older platform mail was. */
export async function signWithoutSeal(config: Config, raw: string): Promise<string> {
  const { key } = ensureDkimKey(config);
  const options = { signatureData: [{ signingDomain: key.domain, selector: key.selector, privateKey: key.privateKeyPem }] };
  const signed = await dkimSign(raw, options as unknown as Parameters<typeof dkimSign>[1]);
  return signed.signatures + raw;
}
