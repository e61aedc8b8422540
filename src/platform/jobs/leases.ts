import type { Db } from '../db/db.js';

/**
 * A lease per job name in `job_leases`, so that with several nodes one at a time runs a
 * job that should not run everywhere (jobs stay idempotent anyway: a lease saves work, it
 * is not what keeps them correct). The take is one conditional UPDATE: atomic on SQLite
 * and PostgreSQL alike.
 */

/** Takes the lease for `ttlMs` if it is free, expired, or already ours. */
export async function takeLease(db: Db, name: string, holder: string, now: Date, ttlMs: number): Promise<boolean> {
  const at = now.toISOString();
  await db.insertInto('job_leases').values({ name, locked_by: null, locked_until: null, last_run_at: null }).onConflict((oc) => oc.column('name').doNothing()).execute();
  const r = await db.updateTable('job_leases')
    .set({ locked_by: holder, locked_until: new Date(now.getTime() + ttlMs).toISOString() })
    .where('name', '=', name)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', at), eb('locked_by', '=', holder)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Releases our lease and records the run. */
export async function releaseLease(db: Db, name: string, holder: string, now: Date): Promise<void> {
  await db.updateTable('job_leases').set({ locked_by: null, locked_until: null, last_run_at: now.toISOString() }).where('name', '=', name).where('locked_by', '=', holder).execute();
}

/** Runs `fn` only if this node gets the lease; returns undefined when another node holds it. */
export async function withLease<T>(db: Db, name: string, holder: string, now: Date, ttlMs: number, fn: () => Promise<T>): Promise<T | undefined> {
  if (!(await takeLease(db, name, holder, now, ttlMs))) return undefined;
  try {
    return await fn();
  } finally {
    await releaseLease(db, name, holder, new Date(Math.max(now.getTime(), Date.now())));
  }
}
