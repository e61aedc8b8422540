/**
 * SQL of the sender history (the only place with it). Keys are keyed hashes; days are
 * `YYYY-MM-DD` strings, which compare correctly as text in both databases. The history is
 * platform-wide, not organisation data: no organisation filter applies.
 */
import type { Db } from '../platform/db/db.js';

/** Rows per statement: far below SQLite's and PostgreSQL's parameter limits. */
const CHUNK = 400;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** Last-seen day of each of the given pairs that the database knows. */
export async function findPairs(db: Db, keys: readonly string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const part of chunks([...new Set(keys)])) {
    const rows = await db.selectFrom('mailtips_pairs').select(['pair_key', 'last_seen']).where('pair_key', 'in', part).execute();
    for (const r of rows) found.set(r.pair_key, r.last_seen);
  }
  return found;
}

/**
 * Records pairs as seen on `day`: inserts new ones, moves last_seen forward on known ones.
 * Safe when several nodes record the same pair at once (one row wins, none fails).
 */
export async function upsertPairs(db: Db, rows: ReadonlyArray<{ pairKey: string; day: string }>): Promise<void> {
  const latest = new Map<string, string>();
  for (const r of rows) if ((latest.get(r.pairKey) ?? '') < r.day) latest.set(r.pairKey, r.day);
  for (const part of chunks([...latest])) {
    await db
      .insertInto('mailtips_pairs')
      .values(part.map(([pairKey, day]) => ({ pair_key: pairKey, first_seen: day, last_seen: day })))
      .onConflict((oc) => oc.column('pair_key').doUpdateSet((eb) => ({ last_seen: eb.ref('excluded.last_seen') })).whereRef('mailtips_pairs.last_seen', '<', 'excluded.last_seen'))
      .execute();
  }
}

/** Adds message counts per (sender, day). */
export async function addSenderMessages(db: Db, rows: ReadonlyArray<{ senderKey: string; day: string; messages: number }>): Promise<void> {
  const merged = new Map<string, { senderKey: string; day: string; messages: number }>();
  for (const r of rows) {
    const k = `${r.senderKey} ${r.day}`;
    const m = merged.get(k);
    if (m) m.messages += r.messages;
    else merged.set(k, { ...r });
  }
  for (const part of chunks([...merged.values()])) {
    await db
      .insertInto('mailtips_sender_days')
      .values(part.map((r) => ({ sender_key: r.senderKey, day: r.day, messages: r.messages })))
      .onConflict((oc) => oc.columns(['sender_key', 'day']).doUpdateSet((eb) => ({ messages: eb('mailtips_sender_days.messages', '+', eb.ref('excluded.messages')) })))
      .execute();
  }
}

/** Messages from a sender on days from `fromDay` (inclusive). */
export async function sumSenderMessages(db: Db, senderKey: string, fromDay: string): Promise<number> {
  const row = await db
    .selectFrom('mailtips_sender_days')
    .select((eb) => eb.fn.sum<number>('messages').as('total'))
    .where('sender_key', '=', senderKey)
    .where('day', '>=', fromDay)
    .executeTakeFirst();
  return Number(row?.total ?? 0);
}

/** Deletes pairs last seen before `pairsBefore` and day counts before `daysBefore`. */
export async function deleteOldHistory(db: Db, pairsBefore: string, daysBefore: string): Promise<{ pairs: number; senderDays: number }> {
  const p = await db.deleteFrom('mailtips_pairs').where('last_seen', '<', pairsBefore).executeTakeFirst();
  const d = await db.deleteFrom('mailtips_sender_days').where('day', '<', daysBefore).executeTakeFirst();
  return { pairs: Number(p.numDeletedRows), senderDays: Number(d.numDeletedRows) };
}

/** Every member organisation's mail domain, lower-case. */
export async function listInternalDomains(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('organisation_domains').select('domain').execute();
  return rows.map((r) => r.domain.toLowerCase());
}
