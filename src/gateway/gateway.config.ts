import { z } from 'zod';
import type { ConfigSection } from '../platform/config/config.js';

/**
 * Settings for the SMTP gateway, delivery and spoof detection (issue 6). Merged by platform/config/config.ts into the one schema:
 * each key becomes POSTWARDEN_<KEY_IN_UPPER_SNAKE_CASE> and a key of the JSON config file.
 * docs/GATEWAY.md explains each one.
 */

const boolish = z.union([z.boolean(), z.enum(['true', 'false', '1', '0'])]).transform((v) => v === true || v === 'true' || v === '1');
const hostPort = /^(\[[0-9a-f:.]+\]|[^\s:/[\]]+):\d{1,5}$/i;

export const gatewayShape = {
  /** Next hop: smtp://host:port or lmtp://host:port; unset = embedded Maildir store under <data dir>/mail/. */
  relay: z.string().regex(/^(smtp|lmtp):\/\/(\[[0-9a-f:.]+\]|[^\s:/[\]]+):\d{1,5}\/?$/i, 'must be smtp://host:port or lmtp://host:port').optional(),
  /** Connections kept open to the next hop (per gateway process). */
  relayPoolSize: z.coerce.number().int().min(1).max(200),
  /** Time limit of one next-hop delivery (the delivery stage). */
  relayTimeoutMs: z.coerce.number().int().min(1000).max(600_000),
  /** Protocol spoken on POSTWARDEN_SMTP_ADDR: smtp (default) or lmtp (per-recipient replies, for an edge MTA). */
  smtpProtocol: z.enum(['smtp', 'lmtp']),
  /** Largest message accepted, in bytes (552 beyond it). */
  smtpMaxMessageBytes: z.coerce.number().int().min(1024).max(1024 * 1024 * 1024),
  smtpMaxRecipients: z.coerce.number().int().min(1).max(10_000),
  /** Name in the greeting and Received headers (default: the platform domain). */
  smtpHostname: z.string().regex(/^[a-z0-9.-]{1,253}$/i, 'must be a host name').optional(),
  /** PEM certificate chain and key files: STARTTLS is offered when both are set. */
  smtpTlsCert: z.string().min(1).optional(),
  smtpTlsKey: z.string().min(1).optional(),
  /** Trust XFORWARD from the edge MTA for the original client address (only behind your own MTA). */
  smtpTrustXforward: boolish,
  /** Whole-session deadline: past it the session is told 421 at its next command boundary (a message in delivery finishes first). */
  smtpSessionTimeoutSeconds: z.coerce.number().int().min(1).max(86_400),
  /** Time a client has from our reply to send its next complete command line (421 beyond it). */
  smtpCommandTimeoutSeconds: z.coerce.number().int().min(1).max(3600),
  /** Open connections one client address may hold across all gateway workers (421 4.7.0 beyond it); 0: no limit. */
  smtpMaxConnectionsPerClient: z.coerce.number().int().min(0).max(100_000),
  /** Time limit of each inspection stage of the pipeline. */
  smtpStageTimeoutMs: z.coerce.number().int().min(100).max(600_000),
  /** SMTP worker processes sharing the listener: 'auto' (one per CPU core, at most 8) or a number; 0 runs the gateway inside `serve`. */
  gatewayWorkers: z.union([z.literal('auto'), z.coerce.number().int().min(0).max(64)]),
  /** authserv-id of the Authentication-Results header we add (default: the platform domain). */
  authservId: z.string().regex(/^[a-z0-9.-]{1,253}$/i, 'must be a domain name').optional(),
  /** ARC-seal the changed message with the platform's DKIM key. */
  arcSeal: boolish,
  /** DNS for SPF, DKIM, DMARC and ARC: 'system', 'none' (only the zone file), or servers "ip[:port],…". */
  dnsResolver: z.string().regex(/^(system|none|[0-9a-f:.[\]]+(,\s*[0-9a-f:.[\]]+)*)$/i, "must be 'system', 'none' or a comma-separated list of DNS server addresses"),
  /** JSON file of DNS records answered locally ({"name": {"TXT": ["…"]}}), for air-gapped trials. */
  dnsZoneFile: z.string().min(1).optional(),
  dnsCacheSeconds: z.coerce.number().int().min(0).max(86_400),
  /** How long a partly delivered message is remembered so its retry delivers to nobody twice. */
  gatewayRedeliveryHours: z.coerce.number().int().min(1).max(24 * 30),
  /** Quarantined messages are purged this many days after arrival (purgeQuarantine job). */
  gatewayQuarantineDays: z.coerce.number().int().min(1).max(3650),
} satisfies z.ZodRawShape;

export const gatewayDefaults: Record<string, unknown> = {
  relayPoolSize: 10,
  relayTimeoutMs: 60_000,
  smtpProtocol: 'smtp',
  smtpMaxMessageBytes: 25 * 1024 * 1024,
  smtpMaxRecipients: 100,
  smtpTrustXforward: false,
  smtpStageTimeoutMs: 15_000,
  smtpSessionTimeoutSeconds: 600,
  smtpCommandTimeoutSeconds: 60,
  smtpMaxConnectionsPerClient: 50,
  gatewayWorkers: 'auto',
  arcSeal: false,
  dnsResolver: 'system',
  dnsCacheSeconds: 300,
  gatewayRedeliveryHours: 72,
  gatewayQuarantineDays: 30,
};

/** Keys whose values are secrets (masked by describeConfig, never logged). */
export const gatewaySecrets: readonly string[] = [];

/** Host and port of a `host:port` (brackets allowed for IPv6). */
export function splitHostPort(addr: string): { host: string; port: number } {
  if (!hostPort.test(addr) && !/^[^\s]+:\d{1,5}$/.test(addr)) throw new Error(`not host:port: ${addr}`);
  const i = addr.lastIndexOf(':');
  return { host: addr.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(addr.slice(i + 1)) };
}

/** The gateway section of the configuration, listed in src/main/config.ts. */
export const gatewayConfig: ConfigSection = { name: 'gateway', shape: gatewayShape, defaults: gatewayDefaults, secrets: gatewaySecrets };

/** The gateway settings as the code reads them; merged into `Config`. */
export type GatewaySettings = z.infer<z.ZodObject<typeof gatewayShape>>;

declare module '../platform/config/config.js' {
  interface CapabilitySettings extends GatewaySettings {}
}
