import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type Clock, systemClock } from '../platform/clock.js';
import type { Config } from '../platform/config/config.js';
import { splitHostPort } from './gateway.config.js';
import { reportingAddresses } from '../reports/reports.config.js';
import { deriveKey } from '../platform/crypto/secrets.js';
import type { Db } from '../platform/db/db.js';
import type { Logger } from '../platform/log/log.js';
import { loadDkimKey } from '../platform/notify/dkim.js';
import { type DnsResolver, type LocalZone, createDnsResolver, overlayZone, readZoneFile, txtChunks } from '../platform/smtp/dns.js';
import { installPublicKeyCache } from '../platform/smtp/keycache.js';
import { installSpfCidrFastPath } from '../platform/smtp/spfcidr.js';
import { type NextHop, openNextHop } from '../platform/smtp/nexthop.js';
import { type ConnectionAdmission, createAddressCounter, localAdmission } from '../platform/smtp/admission.js';
import { SmtpRefusal, startSmtpListener } from '../platform/smtp/server.js';
import { type MailtipsService, openMailtips } from '../mailtips/mailtips.service.js';
import { type BlockList, openBlockList } from '../reports/reports.gateway.js';
import { createGatewayMetrics } from './gateway.metrics.js';
import { openLedger, watchDatabase } from './ledger.js';
import { type PipelineDeps, processMessage } from './pipeline.js';
import { pipelineStages } from './pipeline.stages.js';
import { openRecipientDirectory } from './recipients.js';

/**
 * Starts the SMTP gateway in this process: listener, pipeline, next hop, sender history,
 * block list, redelivery ledger. `serve` calls it once per worker process (gateway.cluster.ts).
 */

export interface GatewayOptions {
  db: Db;
  logger: Logger;
  clock?: Clock;
  /** DNS for mailauth (tests pass a stub). The platform's own DKIM record is always answered locally. */
  resolver?: DnsResolver;
  mailtips?: MailtipsService;
  blockList?: BlockList;
  nextHop?: NextHop;
  /** Who counts connections per client address: a worker asks the primary (gateway.anvil.ts); default: this process. */
  admission?: ConnectionAdmission;
}

export interface RunningGateway {
  host: string;
  port: number;
  nextHop: string;
  /** Stops accepting, lets open sessions finish (up to `graceMs`), closes everything it opened. */
  close(graceMs?: number): Promise<void>;
}

/** The Maildir root of the embedded store. */
export function mailRoot(config: Pick<Config, 'dataDir'>): string {
  return path.join(config.dataDir, 'mail');
}

/** The platform's DKIM key as the gateway uses it, or null (spoof checks then quarantine every no-reply@ message). */
export function gatewayDkim(config: Config, logger: Logger): (PipelineDeps['dkim'] & { txtName: string; txtValue: string }) | null {
  try {
    const k = loadDkimKey(config);
    return { domain: k.domain.toLowerCase(), selector: k.selector.toLowerCase(), privateKey: k.privateKeyPem, txtName: k.txtName, txtValue: k.txtValue };
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'no platform DKIM key: no-reply@ mail cannot be verified and will be quarantined');
    return null;
  }
}

/**
 * Opens everything and listens on POSTWARDEN_SMTP_ADDR.
 * @throws Error when a dependency cannot open or the address cannot be bound (nothing stays open)
 */
export async function startGateway(config: Config, opts: GatewayOptions): Promise<RunningGateway> {
  const { db, logger } = opts;
  const closers: (() => Promise<void> | void)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const c of closers.splice(0).reverse()) await Promise.resolve(c()).catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'gateway close'));
  };
  try {
    installPublicKeyCache();
    installSpfCidrFastPath();
    const dkim = gatewayDkim(config, logger);
    const zone: LocalZone = config.dnsZoneFile ? readZoneFile(config.dnsZoneFile) : {};
    if (dkim) zone[dkim.txtName.toLowerCase()] = { TXT: [txtChunks(dkim.txtValue)] };
    const resolver = opts.resolver
      ? overlayZone(zone, opts.resolver)
      : createDnsResolver({ mode: config.dnsResolver, zone, cacheSeconds: config.dnsCacheSeconds });
    const tls = tlsOf(config);
    const mailtips = opts.mailtips ?? (await openMailtips(db, config, { log: logger }));
    if (!opts.mailtips) closers.push(() => mailtips.close());
    const blockList = opts.blockList ?? (await openBlockList(db, config, { logger }));
    if (!opts.blockList) closers.push(() => blockList.close());
    const ledger = await openLedger(db, { retentionHours: config.gatewayRedeliveryHours, onError: (err) => logger.warn({ err: (err as Error).message }, 'redelivery ledger poll failed') });
    closers.push(() => ledger.close());
    const hostname = (config.smtpHostname ?? config.platformDomain).toLowerCase();
    const nextHop = opts.nextHop ?? openNextHop({ relay: config.relay, maildirRoot: mailRoot(config), poolSize: config.relayPoolSize, timeoutMs: config.relayTimeoutMs, hostname });
    if (!opts.nextHop) closers.push(() => nextHop.close());
    const reports = reportingAddresses(config);
    const directory = openRecipientDirectory(db, { platformDomain: config.platformDomain, reportAddresses: reports });
    const dbWatch = watchDatabase(db);
    closers.push(() => dbWatch.stop());
    const metrics = createGatewayMetrics();
    closers.push(() => metrics.stop());
    const deps: PipelineDeps = {
      config, logger, db, clock: opts.clock ?? systemClock, stages: pipelineStages(config), directory, nextHop, mailtips, blockList, ledger, dbWatch, resolver, dkim, metrics,
      hmacKey: deriveKey(config.secretKey, 'gateway-delivery-keys'), reportAddresses: new Set(reports), hostname,
      authservId: (config.authservId ?? config.platformDomain).toLowerCase(),
    };
    const { host, port } = splitHostPort(config.smtpAddr);
    const listener = await startSmtpListener({
      host, port, protocol: config.smtpProtocol, hostname, maxBytes: config.smtpMaxMessageBytes, maxRecipients: config.smtpMaxRecipients,
      tls, trustXforward: config.smtpTrustXforward,
      limits: { sessionTimeoutMs: config.smtpSessionTimeoutSeconds * 1000, commandTimeoutMs: config.smtpCommandTimeoutSeconds * 1000 },
      admission: opts.admission ?? (config.smtpMaxConnectionsPerClient > 0 ? localAdmission(createAddressCounter(config.smtpMaxConnectionsPerClient)) : undefined),
    }, {
      async onMailFrom() {
        if (!dbWatch.healthy()) throw new SmtpRefusal(451, '4.3.0 Temporary local problem (database), try again later');
      },
      async onRcptTo(address) {
        const kind = await directory.classify(address);
        if (kind === 'mailbox' || kind === 'report') return;
        metrics.inc('postwarden_gateway_refused_recipients_total', { why: kind });
        if (kind === 'foreign') throw new SmtpRefusal(550, '5.7.1 Relaying denied: this gateway accepts mail only for its own domains');
        throw new SmtpRefusal(550, '5.1.1 No such recipient here');
      },
      onMessage: (raw, envelope, session) => processMessage(deps, raw, envelope, session),
      onError(err, session) {
        logger.warn({ smtpSessionId: session?.id, err: err instanceof Error ? err.message.slice(0, 200) : String(err) }, 'smtp session problem');
      },
    });
    logger.info({ smtpAddr: `${host}:${listener.port}`, nextHop: nextHop.description, protocol: config.smtpProtocol, tls: !!tls, arcSeal: config.arcSeal }, 'SMTP gateway listening');
    return {
      host,
      port: listener.port,
      nextHop: nextHop.description,
      async close(graceMs?: number) {
        await listener.close(graceMs);
        await closeAll();
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

function tlsOf(config: Config): { key: Buffer; cert: Buffer } | undefined {
  if (!config.smtpTlsCert && !config.smtpTlsKey) return undefined;
  if (!config.smtpTlsCert || !config.smtpTlsKey) throw new Error('STARTTLS needs both POSTWARDEN_SMTP_TLS_CERT and POSTWARDEN_SMTP_TLS_KEY');
  return { cert: readFileSync(config.smtpTlsCert), key: readFileSync(config.smtpTlsKey) };
}
