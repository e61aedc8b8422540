import crypto, { type KeyObject } from 'node:crypto';

/**
 * mailauth parses the sender's DKIM public key from PEM twice for every message
 * (`crypto.createPublicKey`, then `crypto.verify` with the re-exported PEM): about a tenth
 * of the gateway's CPU, for the same few thousand keys over and over. Its ARC sealer
 * likewise parses our private key from PEM for each of its two signatures. This memoises
 * those parses process-wide, keyed on the exact PEM text. KeyObjects are immutable, so
 * sharing one is indistinguishable from parsing again; only PEM keys are cached, anything
 * else goes straight through. Bounded (oldest entries dropped first).
 */

const MAX = 20_000;
const cache = new Map<string, KeyObject>();
let installed = false;

const PUBLIC = /^-----BEGIN (RSA )?PUBLIC KEY-----/;
const PRIVATE = /^-----BEGIN (RSA |EC )?PRIVATE KEY-----/;

function pemOf(input: unknown, kind: RegExp = PUBLIC): string | null {
  if (typeof input === 'string') return kind.test(input) ? input : null;
  if (input && typeof input === 'object' && !(input instanceof crypto.KeyObject) && !Buffer.isBuffer(input)) {
    const o = input as { key?: unknown; format?: unknown; type?: unknown; encoding?: unknown };
    if ((o.format === undefined || o.format === 'pem') && o.type === undefined && o.encoding === undefined) {
      if (typeof o.key === 'string') return pemOf(o.key, kind);
      if (Buffer.isBuffer(o.key) && o.key.length < 16_384) return pemOf(o.key.toString('latin1'), kind);
    }
  }
  return null;
}

function cachedKey(pem: string, parse: () => KeyObject): KeyObject {
  let k = cache.get(pem);
  if (!k) {
    k = parse();
    if (cache.size >= MAX) cache.delete(cache.keys().next().value!);
    cache.set(pem, k);
  }
  return k;
}

/** Installs the memo (idempotent). Call once before the first message is verified. */
export function installPublicKeyCache(): void {
  if (installed) return;
  installed = true;
  const createPublicKey = crypto.createPublicKey;
  const createPrivateKey = crypto.createPrivateKey;
  const verify = crypto.verify;
  const sign = crypto.sign;
  (crypto as { createPublicKey: typeof crypto.createPublicKey }).createPublicKey = function cachedCreatePublicKey(key: Parameters<typeof createPublicKey>[0]): KeyObject {
    const pem = pemOf(key);
    return pem ? cachedKey(pem, () => createPublicKey(key)) : createPublicKey(key);
  };
  (crypto as { verify: unknown }).verify = function cachedVerify(this: unknown, algorithm: unknown, data: unknown, key: unknown, signature: unknown, callback?: unknown): unknown {
    const pem = typeof key === 'string' ? pemOf(key) : null;
    const k = pem ? cachedKey(pem, () => createPublicKey(pem)) : key;
    return (verify as (...a: unknown[]) => unknown).call(this, algorithm, data, k, signature, ...(callback === undefined ? [] : [callback]));
  };
  (crypto as { createPrivateKey: typeof crypto.createPrivateKey }).createPrivateKey = function cachedCreatePrivateKey(key: Parameters<typeof createPrivateKey>[0]): KeyObject {
    const pem = pemOf(key, PRIVATE);
    return pem ? cachedKey(pem, () => createPrivateKey(key)) : createPrivateKey(key);
  };
  (crypto as { sign: unknown }).sign = function cachedSign(this: unknown, algorithm: unknown, data: unknown, key: unknown, callback?: unknown): unknown {
    const pem = typeof key === 'string' ? pemOf(key, PRIVATE) : null;
    const k = pem ? cachedKey(pem, () => createPrivateKey(pem)) : key;
    return (sign as (...a: unknown[]) => unknown).call(this, algorithm, data, k, ...(callback === undefined ? [] : [callback]));
  };
}

/** Entries held (for tests). */
export function publicKeyCacheSize(): number {
  return cache.size;
}
