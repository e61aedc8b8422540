/**
 * Per-client-address connection limits, as Postfix's anvil keeps them: a connection takes a
 * slot of its client's address when it opens and gives it back when it closes; beyond the
 * limit the listener answers 421 and hangs up. The counter is the one place that knows how
 * many connections an address holds, so in a cluster the primary process keeps it and the
 * workers ask it (gateway.anvil.ts); a single process uses it directly.
 */

export interface ConnectionAdmission {
  /** Takes a slot for `address`; resolves false (taking nothing) when the address holds the limit already. */
  acquire(address: string): Promise<boolean>;
  /** Gives back a slot taken by `acquire`. */
  release(address: string): void;
}

export interface AddressCounter {
  /** Takes a slot for `address` unless it holds `limit` already; true when taken. */
  take(address: string): boolean;
  /** Gives one slot of `address` back (no-op when it holds none). */
  give(address: string): void;
  /** Slots `address` holds now. */
  held(address: string): number;
}

/** Client addresses compare as their canonical text: IPv4-mapped IPv6 counts as the IPv4 address. */
export function clientKey(address: string): string {
  const a = address.trim().toLowerCase();
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

/**
 * A counter of open connections per client address; `limit` 0 means no limit.
 * @throws Error when limit is negative or not an integer
 */
export function createAddressCounter(limit: number): AddressCounter {
  if (!Number.isInteger(limit) || limit < 0) throw new Error(`connection limit must be a whole number >= 0, not ${limit}`);
  const counts = new Map<string, number>();
  return {
    take(address) {
      const key = clientKey(address);
      const n = counts.get(key) ?? 0;
      if (limit > 0 && n >= limit) return false;
      counts.set(key, n + 1);
      return true;
    },
    give(address) {
      const key = clientKey(address);
      const n = counts.get(key) ?? 0;
      if (n <= 1) counts.delete(key);
      else counts.set(key, n - 1);
    },
    held(address) {
      return counts.get(clientKey(address)) ?? 0;
    },
  };
}

/** Admission by a counter in this process (one gateway process, or the cluster's primary). */
export function localAdmission(counter: AddressCounter): ConnectionAdmission {
  return {
    acquire: async (address) => counter.take(address),
    release: (address) => counter.give(address),
  };
}
