import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { DatabaseHandle } from '../db/db.js';
import { pgUrl } from './databases.js';

/**
 * Two (or more) requests at the same instant, for tests of the conditional UPDATEs that
 * make something single-use. The race is made certain rather than likely: every operation
 * must have read the row (and passed the outer check) before any may write it.
 *
 * - PostgreSQL: another connection holds a row lock (SELECT … FOR UPDATE) on the rows the
 *   operations will update. Each operation reads (MVCC reads are not blocked), passes its
 *   outer check and then waits at its UPDATE. Once all `ops.length` are waiting on the lock
 *   (asserted: proof that each passed the outer check) the lock is released and the
 *   UPDATEs run one after another, each re-evaluating its WHERE on the committed row.
 * - SQLite: the one connection runs statements in the order they were asked for, so
 *   operations started together read in turn before any of them writes.
 *
 * @returns each operation's result, or its error, in order
 */
export async function atOnce<T>(
  handle: DatabaseHandle,
  lock: { table: string; column: string; value: string },
  ops: readonly (() => Promise<T>)[],
): Promise<PromiseSettledResult<T>[]> {
  if (handle.dialect === 'sqlite') return Promise.allSettled(ops.map((op) => op()));
  if (!pgUrl || !handle.schema) throw new Error('atOnce on PostgreSQL needs PW_TEST_PG_URL and a test schema');
  const locker = new pg.Client({ connectionString: pgUrl });
  await locker.connect();
  try {
    await locker.query('BEGIN');
    const held = await locker.query(`SELECT 1 FROM "${handle.schema}"."${lock.table}" WHERE "${lock.column}" = $1 FOR UPDATE`, [lock.value]);
    assert.ok(held.rowCount! > 0, `atOnce: no ${lock.table} row with ${lock.column} = ${lock.value} to lock`);
    const pid = (await locker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const running = Promise.allSettled(ops.map((op) => op()));
    let waiting = 0;
    for (let i = 0; i < 1200 && waiting < ops.length; i++) { // up to 30 s: a loaded machine is slow to reach the UPDATE
      await sleep(25);
      const r = await locker.query<{ n: number }>(WAITING_ON, [pid]);
      waiting = r.rows[0]!.n;
    }
    await locker.query('COMMIT');
    const results = await running;
    assert.equal(waiting, ops.length, `atOnce: ${waiting} of ${ops.length} operations reached the UPDATE (the others stopped before it)`);
    return results;
  } finally {
    await locker.end();
  }
}

/** Backends waiting on the locker, directly or behind another waiter (a row's lock queue). */
const WAITING_ON = `WITH RECURSIVE w(pid) AS (
  SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))
  UNION SELECT a.pid FROM pg_stat_activity a JOIN w ON w.pid = ANY(pg_blocking_pids(a.pid))
) SELECT count(*)::int AS n FROM w`;

/** The fulfilled values and the rejections of settled results, for exact assertions. */
export function outcomesOf<T>(results: readonly PromiseSettledResult<T>[]): { values: T[]; errors: unknown[] } {
  return {
    values: results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])),
    errors: results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : [])),
  };
}
