/**
 * SipHash-2-4 (Aumasson and Bernstein), a keyed pseudo-random function with a 128-bit key and a
 * 64-bit output, in 32-bit JavaScript arithmetic and without allocation per call. It keys the
 * in-memory pair table: an attacker who does not know the key cannot choose addresses that
 * collide (hash flooding), and the table holds nothing from which addresses can be recovered.
 */

/** The result of the last call: high and low 32 bits. Read it before the next call. */
export const sipOut = new Uint32Array(2);

/**
 * SipHash-2-4 of `data[0..len)` under `key` (four 32-bit words, k0 low, k0 high, k1 low, k1 high,
 * i.e. the 16 key bytes read little-endian). Writes the 64-bit result to `sipOut` and returns its
 * low 32 bits.
 */
export function siphash24(key: Uint32Array, data: Uint8Array, len: number): number {
  const k0l = key[0]!, k0h = key[1]!, k1l = key[2]!, k1h = key[3]!;
  let v0l = (k0l ^ 0x70736575) >>> 0, v0h = (k0h ^ 0x736f6d65) >>> 0;
  let v1l = (k1l ^ 0x6e646f6d) >>> 0, v1h = (k1h ^ 0x646f7261) >>> 0;
  let v2l = (k0l ^ 0x6e657261) >>> 0, v2h = (k0h ^ 0x6c796765) >>> 0;
  let v3l = (k1l ^ 0x79746573) >>> 0, v3h = (k1h ^ 0x74656462) >>> 0;
  let t = 0, u = 0;
  const blocks = len & ~7;
  let mL = 0, mH = 0;
  for (let i = 0; i <= blocks; i += 8) {
    if (i < blocks) {
      mL = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) >>> 0;
      mH = (data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24)) >>> 0;
    } else {
      // Last block: remaining bytes, and the length in the top byte.
      mL = 0;
      mH = (len & 0xff) << 24;
      const rem = len - blocks;
      for (let j = 0; j < rem; j++) {
        if (j < 4) mL |= data[i + j]! << (8 * j);
        else mH |= data[i + j]! << (8 * (j - 4));
      }
      mL >>>= 0;
      mH >>>= 0;
    }
    v3l = (v3l ^ mL) >>> 0; v3h = (v3h ^ mH) >>> 0;
    for (let r = 0; r < 2; r++) {
      // SipRound, with 64-bit words as (high, low) pairs.
      t = (v0l + v1l) >>> 0; v0h = (v0h + v1h + (t < v0l ? 1 : 0)) >>> 0; v0l = t;
      t = ((v1l << 13) | (v1h >>> 19)) >>> 0; v1h = ((v1h << 13) | (v1l >>> 19)) >>> 0; v1l = t;
      v1l = (v1l ^ v0l) >>> 0; v1h = (v1h ^ v0h) >>> 0;
      t = v0l; v0l = v0h; v0h = t;
      t = (v2l + v3l) >>> 0; v2h = (v2h + v3h + (t < v2l ? 1 : 0)) >>> 0; v2l = t;
      t = ((v3l << 16) | (v3h >>> 16)) >>> 0; v3h = ((v3h << 16) | (v3l >>> 16)) >>> 0; v3l = t;
      v3l = (v3l ^ v2l) >>> 0; v3h = (v3h ^ v2h) >>> 0;
      t = (v0l + v3l) >>> 0; v0h = (v0h + v3h + (t < v0l ? 1 : 0)) >>> 0; v0l = t;
      t = ((v3l << 21) | (v3h >>> 11)) >>> 0; v3h = ((v3h << 21) | (v3l >>> 11)) >>> 0; v3l = t;
      v3l = (v3l ^ v0l) >>> 0; v3h = (v3h ^ v0h) >>> 0;
      t = (v2l + v1l) >>> 0; v2h = (v2h + v1h + (t < v2l ? 1 : 0)) >>> 0; v2l = t;
      t = ((v1l << 17) | (v1h >>> 15)) >>> 0; v1h = ((v1h << 17) | (v1l >>> 15)) >>> 0; v1l = t;
      v1l = (v1l ^ v2l) >>> 0; v1h = (v1h ^ v2h) >>> 0;
      t = v2l; v2l = v2h; v2h = t;
    }
    v0l = (v0l ^ mL) >>> 0; v0h = (v0h ^ mH) >>> 0;
  }
  v2l = (v2l ^ 0xff) >>> 0;
  for (let r = 0; r < 4; r++) {
    t = (v0l + v1l) >>> 0; v0h = (v0h + v1h + (t < v0l ? 1 : 0)) >>> 0; v0l = t;
    t = ((v1l << 13) | (v1h >>> 19)) >>> 0; v1h = ((v1h << 13) | (v1l >>> 19)) >>> 0; v1l = t;
    v1l = (v1l ^ v0l) >>> 0; v1h = (v1h ^ v0h) >>> 0;
    t = v0l; v0l = v0h; v0h = t;
    t = (v2l + v3l) >>> 0; v2h = (v2h + v3h + (t < v2l ? 1 : 0)) >>> 0; v2l = t;
    t = ((v3l << 16) | (v3h >>> 16)) >>> 0; v3h = ((v3h << 16) | (v3l >>> 16)) >>> 0; v3l = t;
    v3l = (v3l ^ v2l) >>> 0; v3h = (v3h ^ v2h) >>> 0;
    t = (v0l + v3l) >>> 0; v0h = (v0h + v3h + (t < v0l ? 1 : 0)) >>> 0; v0l = t;
    t = ((v3l << 21) | (v3h >>> 11)) >>> 0; v3h = ((v3h << 21) | (v3l >>> 11)) >>> 0; v3l = t;
    v3l = (v3l ^ v0l) >>> 0; v3h = (v3h ^ v0h) >>> 0;
    t = (v2l + v1l) >>> 0; v2h = (v2h + v1h + (t < v2l ? 1 : 0)) >>> 0; v2l = t;
    t = ((v1l << 17) | (v1h >>> 15)) >>> 0; v1h = ((v1h << 17) | (v1l >>> 15)) >>> 0; v1l = t;
    v1l = (v1l ^ v2l) >>> 0; v1h = (v1h ^ v2h) >>> 0;
    t = v2l; v2l = v2h; v2h = t;
  }
  u = (v0l ^ v1l ^ v2l ^ v3l) >>> 0;
  sipOut[0] = (v0h ^ v1h ^ v2h ^ v3h) >>> 0;
  sipOut[1] = u;
  return u;
}

/** The 16 key bytes as the four words siphash24 takes. */
export function sipKey(bytes: Uint8Array): Uint32Array {
  if (bytes.length < 16) throw new Error('SipHash key must be 16 bytes');
  const k = new Uint32Array(4);
  for (let i = 0; i < 4; i++) k[i] = (bytes[4 * i]! | (bytes[4 * i + 1]! << 8) | (bytes[4 * i + 2]! << 16) | (bytes[4 * i + 3]! << 24)) >>> 0;
  return k;
}
