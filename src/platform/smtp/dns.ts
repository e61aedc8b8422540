import { readFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';

/**
 * The DNS resolver the gateway gives mailauth (SPF, DKIM, DMARC, ARC): local records
 * first (the platform's own DKIM key, an optional zone file), then the system resolver or
 * configured servers, behind a small cache (mailauth itself caches nothing).
 */

/** mailauth's resolver signature. */
export type DnsResolver = (name: string, rrtype: string) => Promise<unknown[]>;

/** Records answered locally: name (lower case) → rrtype → answers, in the shape dns.promises.resolve gives. */
export type LocalZone = Record<string, Record<string, unknown[]>>;

export interface ResolverOptions {
  /** 'system', 'none' (local records only; anything else does not exist), or server addresses. */
  mode: string;
  zone?: LocalZone;
  cacheSeconds: number;
  /** Per-query time limit of the network resolver. */
  timeoutMs?: number;
  /** Entries kept in the cache at most. */
  maxEntries?: number;
}

function notFound(name: string, rrtype: string): Error {
  const err = new Error(`queryTxt ENOTFOUND ${name}`) as Error & { code: string; hostname: string; rrtype: string };
  err.code = 'ENOTFOUND';
  err.hostname = name;
  err.rrtype = rrtype;
  return err;
}

/**
 * Reads a zone file: `{"name": {"TXT": ["v=spf1 -all"], "MX": [{"exchange": "mx.example", "priority": 10}], "A": ["192.0.2.1"]}}`.
 * TXT answers may be strings or arrays of strings (the chunks of one record).
 * @throws Error naming the file when it is unreadable or malformed
 */
export function readZoneFile(file: string): LocalZone {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`DNS zone file ${file}: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`DNS zone file ${file}: must hold a JSON object`);
  const zone: LocalZone = {};
  for (const [name, types] of Object.entries(parsed as Record<string, unknown>)) {
    if (!types || typeof types !== 'object' || Array.isArray(types)) throw new Error(`DNS zone file ${file}: ${name} must map record types to lists`);
    const entry: Record<string, unknown[]> = {};
    for (const [type, answers] of Object.entries(types as Record<string, unknown>)) {
      if (!Array.isArray(answers)) throw new Error(`DNS zone file ${file}: ${name} ${type} must be a list`);
      entry[type.toUpperCase()] = type.toUpperCase() === 'TXT' ? answers.map((a) => (Array.isArray(a) ? a.map(String) : [String(a)])) : answers;
    }
    zone[name.toLowerCase().replace(/\.$/, '')] = entry;
  }
  return zone;
}

/** A TXT value split into the ≤255-byte chunks DNS carries. */
export function txtChunks(value: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < value.length; i += 255) out.push(value.slice(i, i + 255));
  return out;
}

/**
 * Answers names of `zone` locally (a name there answers only its listed types) and asks
 * `next` for every other name.
 */
export function overlayZone(zone: LocalZone, next: DnsResolver): DnsResolver {
  return async (rawName, rrtype) => {
    const name = rawName.toLowerCase().replace(/\.$/, '');
    const local = zone[name];
    if (!local) return next(rawName, rrtype);
    const answers = local[rrtype.toUpperCase()];
    if (answers) return answers.map((a) => (Array.isArray(a) ? [...a] : a));
    const err = notFound(name, rrtype) as Error & { code: string };
    err.code = 'ENODATA';
    throw err;
  };
}

/** Builds the resolver. Cached answers (and "does not exist") live `cacheSeconds`. */
export function createDnsResolver(opts: ResolverOptions): DnsResolver {
  return overlayZone(opts.zone ?? {}, networkResolver(opts));
}

function networkResolver(opts: ResolverOptions): DnsResolver {
  const max = opts.maxEntries ?? 50_000;
  const cache = new Map<string, { until: number; value?: unknown[]; error?: unknown }>();
  let network: Resolver | null = null;
  if (opts.mode !== 'none') {
    network = new Resolver({ timeout: opts.timeoutMs ?? 3000, tries: 2 });
    if (opts.mode !== 'system') network.setServers(opts.mode.split(',').map((s) => s.trim()).filter(Boolean));
  }
  return async (rawName: string, rrtype: string): Promise<unknown[]> => {
    const name = rawName.toLowerCase().replace(/\.$/, '');
    const type = rrtype.toUpperCase();
    if (!network) throw notFound(name, type);
    const key = `${type} ${name}`;
    const now = Date.now();
    const hit = cache.get(key);
    if (hit && hit.until > now) {
      if (hit.error) throw hit.error;
      return hit.value!;
    }
    try {
      const value = (await network.resolve(name, type)) as unknown[];
      remember(key, { until: now + opts.cacheSeconds * 1000, value });
      return value;
    } catch (err) {
      // Only "it does not exist" is an answer worth caching; timeouts and SERVFAIL are not.
      const code = (err as { code?: string }).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') remember(key, { until: now + Math.min(opts.cacheSeconds, 300) * 1000, error: err });
      throw err;
    }
  };

  function remember(key: string, entry: { until: number; value?: unknown[]; error?: unknown }): void {
    if (opts.cacheSeconds <= 0) return;
    if (cache.size >= max) cache.delete(cache.keys().next().value!);
    cache.set(key, entry);
  }
}
