/**
 * The keyed hashes of the sender history. Addresses are never stored: the database holds
 * HMAC-SHA256 under a key derived from the configured secret key (purpose 'sender-history'),
 * full length, so two different pairs never share a row (a collision would need 2^128 work);
 * the in-memory cache holds SipHash-2-4 (64 bits) under another key derived from the same one.
 */
import { createHmac } from 'node:crypto';
import { deriveKey } from '../platform/crypto/secrets.js';
import { normaliseAddress } from './mailtips.js';
import { siphash24, sipKey, sipOut } from './siphash.js';

/** The ASCII whitespace String.prototype.trim removes. */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

export class HistoryKeys {
  private readonly memKey: Uint32Array;
  private readonly dbKey: Buffer;
  private buf = Buffer.alloc(1024);

  /** @throws Error when the secret key is missing or too short. */
  constructor(secretKey: Buffer) {
    const base = deriveKey(secretKey, 'sender-history');
    this.memKey = sipKey(createHmac('sha256', base).update('memory-siphash').digest().subarray(0, 16));
    this.dbKey = createHmac('sha256', base).update('database-hmac').digest();
  }

  /**
   * Writes the normalised form of address `s` (normaliseAddress: trimmed, angle brackets
   * removed, lower-cased) as UTF-8 at `at`; returns the end offset. ASCII addresses are
   * normalised while copying, with no allocation; others go through normaliseAddress.
   */
  private put(s: string, at: number): number {
    if (at + s.length * 3 + 1 > this.buf.length) {
      const bigger = Buffer.alloc(Math.max(this.buf.length * 2, at + s.length * 3 + 1));
      this.buf.copy(bigger, 0, 0, at);
      this.buf = bigger;
    }
    let from = 0;
    let to = s.length;
    while (from < to && isSpace(s.charCodeAt(from))) from++;
    while (to > from && isSpace(s.charCodeAt(to - 1))) to--;
    if (to - from >= 2 && s.charCodeAt(from) === 60 && s.charCodeAt(to - 1) === 62) {
      from++;
      to--;
      while (from < to && isSpace(s.charCodeAt(from))) from++;
      while (to > from && isSpace(s.charCodeAt(to - 1))) to--;
    }
    const b = this.buf;
    for (let i = from; i < to; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return at + b.write(normaliseAddress(s), at, 'utf8');
      b[at + i - from] = c >= 65 && c <= 90 ? c + 32 : c;
    }
    return at + to - from;
  }

  /**
   * SipHash of a (recipient, sender) pair, normalised here: the result is in `sipOut`
   * (high, low); returns the low half. No allocation for ASCII addresses.
   */
  pairHash(recipient: string, sender: string): number {
    let end = this.put(recipient, 0);
    this.buf[end++] = 0;
    end = this.put(sender, end);
    return siphash24(this.memKey, this.buf, end);
  }

  /** A 53-bit number naming a sender (normalised here) in memory: the volume cache key. */
  senderHash(sender: string): number {
    this.buf[0] = 1;
    const end = this.put(sender, 1);
    const lo = siphash24(this.memKey, this.buf, end);
    return (sipOut[0]! & 0x1fffff) * 0x100000000 + lo;
  }

  /** The database key of a normalised pair (base64url of HMAC-SHA256). */
  dbPairKey(recipient: string, sender: string): string {
    return createHmac('sha256', this.dbKey).update(`pair\0${recipient}\0${sender}`).digest('base64url');
  }

  /** The database key of a normalised sender (base64url of HMAC-SHA256). */
  dbSenderKey(sender: string): string {
    return createHmac('sha256', this.dbKey).update(`sender\0${sender}`).digest('base64url');
  }
}
