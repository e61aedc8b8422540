import { createRequire } from 'node:module';

/**
 * mailauth's SPF check matches the client address against every `ip4:`/`ip6:` range of the
 * sender's record with ipaddr.js's `parseCIDR`, which tries IPv6 first and so throws (and
 * builds two Error objects with stack traces) for every IPv4 range. A record with a dozen
 * `ip4:` ranges costs a dozen throws per message; even the benchmark's one-range record
 * spent about 5 % of the gateway's CPU there. This installs a fast path into the copy of
 * ipaddr.js that mailauth loads: a range without a colon cannot be IPv6, so it goes to the
 * IPv4 parser first. Anything that parser refuses takes the original path, so results and
 * error messages are exactly as before.
 */

interface IpAddr {
  parseCIDR: ((s: string) => unknown) & { postwardenFastPath?: true };
  IPv4: { parseCIDR(s: string): unknown };
}

let installed = false;

/** The ipaddr.js module instance mailauth requires (mailauth may carry its own copy). */
export function mailauthIpaddr(): IpAddr {
  const fromHere = createRequire(import.meta.url);
  return createRequire(fromHere.resolve('mailauth'))('ipaddr.js') as IpAddr;
}

/** Installs the fast path (idempotent). */
export function installSpfCidrFastPath(): void {
  if (installed) return;
  installed = true;
  const ipaddr = mailauthIpaddr();
  const original = ipaddr.parseCIDR;
  const fast = function parseCIDR(this: unknown, s: string): unknown {
    if (typeof s === 'string' && !s.includes(':')) {
      try {
        return ipaddr.IPv4.parseCIDR(s);
      } catch {
        // fall through: the original reports the error as it always did
      }
    }
    return original.call(this, s);
  } as IpAddr['parseCIDR'];
  fast.postwardenFastPath = true;
  ipaddr.parseCIDR = fast;
}
