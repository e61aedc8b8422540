/**
 * A set of 64-bit keys with a 16-bit day per key, in open addressing (linear probing) over
 * typed arrays: 10 bytes per slot, at most 75% full, doubled by rehashing. About 13–27 bytes
 * per key depending on where between two doublings the count is, against ~50 for a Set of
 * numbers, and no garbage for the collector to walk. Keys are SipHash outputs, so the low bits
 * are uniformly spread and index the slots directly.
 *
 * It is only ever a cache of pairs the database has confirmed; a key (0, 0) is stored as (0, 1)
 * because (0, 0) marks an empty slot.
 */
export class PairTable {
  private keys: Uint32Array;
  private days: Uint16Array;
  private mask: number;
  private count = 0;
  private readonly initialCapacity: number;

  /**
   * @param maxEntries when reached, the table is emptied (it is a cache) rather than grown.
   * @param initialCapacity a power of two.
   */
  constructor(readonly maxEntries: number, initialCapacity = 1 << 16) {
    this.initialCapacity = initialCapacity;
    this.keys = new Uint32Array(initialCapacity * 2);
    this.days = new Uint16Array(initialCapacity);
    this.mask = initialCapacity - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Bytes held by the table's arrays. */
  get byteLength(): number {
    return this.keys.byteLength + this.days.byteLength;
  }

  get capacity(): number {
    return this.mask + 1;
  }

  /** The day stored with the key, or -1 when the key is absent. */
  get(hi: number, lo: number): number {
    if ((hi | lo) === 0) lo = 1;
    const keys = this.keys;
    const mask = this.mask;
    let slot = (lo ^ hi) & mask;
    for (;;) {
      const kh = keys[2 * slot]!;
      const kl = keys[2 * slot + 1]!;
      if (kl === lo && kh === hi) return this.days[slot]!;
      if ((kh | kl) === 0) return -1;
      slot = (slot + 1) & mask;
    }
  }

  /** Adds the key, or updates its day (the later of the two days is kept). */
  set(hi: number, lo: number, day: number): void {
    if ((hi | lo) === 0) lo = 1;
    if (this.count >= this.maxEntries) this.clear();
    if (this.count + 1 > this.capacity * 0.75) this.grow();
    const keys = this.keys;
    const mask = this.mask;
    let slot = (lo ^ hi) & mask;
    for (;;) {
      const kh = keys[2 * slot]!;
      const kl = keys[2 * slot + 1]!;
      if (kl === lo && kh === hi) {
        if (day > this.days[slot]!) this.days[slot] = day;
        return;
      }
      if ((kh | kl) === 0) {
        keys[2 * slot] = hi;
        keys[2 * slot + 1] = lo;
        this.days[slot] = day;
        this.count++;
        return;
      }
      slot = (slot + 1) & mask;
    }
  }

  /** Forgets every key (the arrays shrink back to the initial capacity). */
  clear(): void {
    this.keys = new Uint32Array(this.initialCapacity * 2);
    this.days = new Uint16Array(this.initialCapacity);
    this.mask = this.initialCapacity - 1;
    this.count = 0;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldDays = this.days;
    const cap = (this.mask + 1) * 2;
    const keys = new Uint32Array(cap * 2);
    const days = new Uint16Array(cap);
    const mask = cap - 1;
    for (let i = 0; i < oldDays.length; i++) {
      const hi = oldKeys[2 * i]!;
      const lo = oldKeys[2 * i + 1]!;
      if ((hi | lo) === 0) continue;
      let slot = (lo ^ hi) & mask;
      while ((keys[2 * slot]! | keys[2 * slot + 1]!) !== 0) slot = (slot + 1) & mask;
      keys[2 * slot] = hi;
      keys[2 * slot + 1] = lo;
      days[slot] = oldDays[i]!;
    }
    this.keys = keys;
    this.days = days;
    this.mask = mask;
  }
}
