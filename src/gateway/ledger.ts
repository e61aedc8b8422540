import type { Db } from '../platform/db/db.js';
import { pingDatabase } from '../platform/db/db.js';
import { insertRedelivery, redeliverySince } from './gateway.repo.js';

/**
 * The redelivery ledger: keys of (message, recipient) copies that were served although the
 * message as a whole got a 4xx/5xx (another recipient failed). The sender's retry of the
 * same message skips them. Rare by nature, so every node keeps all recent keys in memory
 * and polls the table for other nodes' additions (a retry comes minutes later).
 */
export interface RedeliveryLedger {
  has(key: string): boolean;
  /** Remembers keys here at once and in the database. @throws Error when the database refuses (the keys stay remembered here) */
  remember(keys: readonly string[], now: Date): Promise<void>;
  close(): void;
}

/** Opens the ledger and starts polling. @throws Error when the first load fails */
export async function openLedger(db: Db, opts: { retentionHours: number; pollMs?: number; onError?(err: unknown): void }): Promise<RedeliveryLedger> {
  const keys = new Map<string, number>();
  const retentionMs = opts.retentionHours * 3600_000;
  let since = new Date(Date.now() - retentionMs).toISOString();
  const load = async (): Promise<void> => {
    for (;;) {
      const rows = await redeliverySince(db, since);
      for (const r of rows) keys.set(r.key, Date.parse(r.created_at));
      if (rows.length) since = rows[rows.length - 1]!.created_at;
      if (rows.length < 10_000) break;
    }
    const cutoff = Date.now() - retentionMs;
    for (const [k, at] of keys) if (at < cutoff) keys.delete(k);
  };
  await load();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    load().catch((err: unknown) => opts.onError?.(err)).finally(() => { busy = false; });
  }, opts.pollMs ?? 2000);
  timer.unref();
  return {
    has: (key) => keys.has(key),
    async remember(list, now) {
      for (const k of list) keys.set(k, now.getTime());
      await insertRedelivery(db, list, now.toISOString());
    },
    close: () => clearInterval(timer),
  };
}

/**
 * Whether the database answers. `healthy()` is the last background check (MAIL FROM is
 * refused with 451 while it fails); `confirm(since)` resolves only once a check that
 * *started at or after* `since` succeeded, so no message gets a 250 unless the database
 * answered after the message arrived — even when every lookup came from a cache. Messages
 * waiting at the same time share one check; checks start at most every `gapMs`.
 */
export interface DatabaseWatch {
  healthy(): boolean;
  /** @throws Error when the database did not answer */
  confirm(since: number): Promise<void>;
  stop(): void;
}

export function watchDatabase(db: Db, opts: { intervalMs?: number; gapMs?: number; timeoutMs?: number } = {}): DatabaseWatch {
  const intervalMs = opts.intervalMs ?? 2000;
  const gapMs = opts.gapMs ?? 2;
  const timeoutMs = opts.timeoutMs ?? 1500;
  let ok = true;
  let lastOkStart = -Infinity;
  let lastStart = -Infinity;
  let inflight: Promise<boolean> = Promise.resolve(true);
  let next: Promise<void> | null = null;

  const check = async (): Promise<boolean> => {
    const started = performance.now();
    lastStart = started;
    inflight = pingDatabase(db, timeoutMs);
    const v = await inflight;
    ok = v;
    if (v && started > lastOkStart) lastOkStart = started;
    return v;
  };

  const timer = setInterval(() => {
    if (!next) void check();
  }, intervalMs);
  timer.unref();

  return {
    healthy: () => ok,
    confirm(since) {
      if (lastOkStart >= since) return Promise.resolve();
      next ??= (async () => {
        await inflight;
        const wait = lastStart + gapMs - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        next = null;
        if (!(await check())) throw new Error('the database did not answer');
      })();
      return next;
    },
    stop: () => clearInterval(timer),
  };
}
