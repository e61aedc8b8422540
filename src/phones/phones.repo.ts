import type { Selectable } from 'kysely';
import type { OrgScope } from '../directory/directory.policy.js';
import type { Db } from '../platform/db/db.js';
import { STATUS_REASON_NON_UK_MOBILE } from './phones.js';
import type { PhoneSweepItemTable, PhoneSweepRunTable } from './phones.tables.js';

/**
 * The only SQL of UK-only mobiles. The sweep's queries are unscoped on purpose (platform
 * admins and the CLI only, checked by the command first); LA-facing lists take a scope.
 */

export type SweepRun = Selectable<PhoneSweepRunTable>;
export type SweepItem = Selectable<PhoneSweepItemTable>;

function scoped<Q>(q: Q, column: string, scope: OrgScope): Q {
  if (scope.all) return q;
  const ids = scope.organisationIds.length ? [...scope.organisationIds] : ['(none)'];
  return (q as unknown as { where(c: string, op: 'in', v: string[]): Q }).where(column, 'in', ids);
}

function toRun(r: SweepRun): SweepRun {
  return { ...r, checked: Number(r.checked), failing: Number(r.failing), disabled: Number(r.disabled), batches: Number(r.batches), allow_crown_dependencies: Number(r.allow_crown_dependencies) };
}

// Runs

export async function insertRun(trx: Db, run: SweepRun): Promise<void> {
  await trx.insertInto('phone_sweep_runs').values(run).execute();
}

export async function findRun(db: Db, id: string): Promise<SweepRun | undefined> {
  const r = await db.selectFrom('phone_sweep_runs').selectAll().where('id', '=', id).executeTakeFirst();
  return r && toRun(r);
}

/** The newest unfinished run of this mode and organisation filter, to resume. */
export async function findUnfinishedRun(db: Db, mode: SweepRun['mode'], organisationId: string | null): Promise<SweepRun | undefined> {
  let q = db.selectFrom('phone_sweep_runs').selectAll().where('mode', '=', mode).where('status', '!=', 'finished');
  q = organisationId === null ? q.where('organisation_id', 'is', null) : q.where('organisation_id', '=', organisationId);
  const r = await q.orderBy('started_at', 'desc').limit(1).executeTakeFirst();
  return r && toRun(r);
}

export async function listRuns(db: Db, limit: number): Promise<(SweepRun & { organisation_code: string | null })[]> {
  const rows = await db
    .selectFrom('phone_sweep_runs as r')
    .leftJoin('organisations as o', 'o.id', 'r.organisation_id')
    .selectAll('r')
    .select('o.code as organisation_code')
    .orderBy('r.started_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ ...toRun(r), organisation_code: r.organisation_code }));
}

/**
 * Moves a run's cursor past a batch and adds its counts, only if the cursor is still where
 * this process read it (compare-and-set): a second process on the same run loses and rolls
 * its batch back, so no account is processed twice. @returns whether this call won
 */
export async function advanceRun(
  trx: Db, id: string, expectedLast: string | null, next: { last: string; checked: number; failing: number; disabled: number; at: string },
): Promise<boolean> {
  let q = trx
    .updateTable('phone_sweep_runs')
    .set((eb) => ({
      last_account_id: next.last, checked: eb('checked', '+', next.checked), failing: eb('failing', '+', next.failing),
      disabled: eb('disabled', '+', next.disabled), batches: eb('batches', '+', 1), updated_at: next.at,
    }))
    .where('id', '=', id)
    .where('status', '=', 'running');
  q = expectedLast === null ? q.where('last_account_id', 'is', null) : q.where('last_account_id', '=', expectedLast);
  return Number((await q.executeTakeFirst()).numUpdatedRows) === 1;
}

/** Moves a run to its next status if it is still in `from`. @returns whether this call moved it */
export async function moveRunStatus(trx: Db, id: string, from: SweepRun['status'], to: SweepRun['status'], at: string): Promise<boolean> {
  const r = await trx
    .updateTable('phone_sweep_runs')
    .set({ status: to, updated_at: at, ...(to === 'finished' ? { finished_at: at } : {}) })
    .where('id', '=', id)
    .where('status', '=', from)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Moves the digest cursor past one organisation (compare-and-set, like advanceRun). */
export async function advanceDigest(trx: Db, id: string, expectedLast: string | null, organisationId: string, at: string): Promise<boolean> {
  let q = trx.updateTable('phone_sweep_runs').set({ last_digest_org_id: organisationId, updated_at: at }).where('id', '=', id).where('status', '=', 'notifying');
  q = expectedLast === null ? q.where('last_digest_org_id', 'is', null) : q.where('last_digest_org_id', '=', expectedLast);
  return Number((await q.executeTakeFirst()).numUpdatedRows) === 1;
}

// Accounts

/**
 * The next page of accounts that have a number, by id (keyset: every page costs the same).
 * Only id and number: the few that fail are looked up with accountsByIds.
 */
export async function pageAccountsWithMobile(db: Db, q: { after: string | null; organisationId: string | null; limit: number }): Promise<{ id: string; mobile: string }[]> {
  let query = db.selectFrom('accounts').select(['id', 'mobile']).where('mobile', 'is not', null);
  if (q.after !== null) query = query.where('id', '>', q.after);
  if (q.organisationId !== null) query = query.where('organisation_id', '=', q.organisationId);
  const rows = await query.orderBy('id').limit(q.limit).execute();
  return rows as { id: string; mobile: string }[];
}

export interface SweptAccount {
  id: string;
  organisation_id: string;
  email: string;
  mobile: string | null;
  status: string;
  status_reason: string | null;
}

export async function accountsByIds(db: Db, ids: readonly string[]): Promise<Map<string, SweptAccount>> {
  if (!ids.length) return new Map();
  const rows = await db.selectFrom('accounts').select(['id', 'organisation_id', 'email', 'mobile', 'status', 'status_reason']).where('id', 'in', [...ids]).execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** How many accounts have a number (for a progress bar). */
export async function countAccountsWithMobile(db: Db, organisationId: string | null): Promise<number> {
  let q = db.selectFrom('accounts').select((eb) => eb.fn.countAll<number>().as('n')).where('mobile', 'is not', null);
  if (organisationId !== null) q = q.where('organisation_id', '=', organisationId);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

/** Disables an active account for its number, if it still has the number that was checked. @returns whether it did */
export async function disableForNonUkMobile(trx: Db, accountId: string, mobile: string, at: string): Promise<boolean> {
  const r = await trx
    .updateTable('accounts')
    .set({ status: 'disabled', status_reason: STATUS_REASON_NON_UK_MOBILE, updated_at: at })
    .where('id', '=', accountId)
    .where('status', '=', 'active')
    .where('mobile', '=', mobile)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Sets a new number and re-enables an account disabled for its number. @returns whether it did (it was so disabled) */
export async function remediateMobile(trx: Db, accountId: string, e164: string, at: string): Promise<boolean> {
  const r = await trx
    .updateTable('accounts')
    .set({ mobile: e164, status: 'active', status_reason: null, mobile_changed_at: at, mobile_change_verified: 0, updated_at: at })
    .where('id', '=', accountId)
    .where('status', '=', 'disabled')
    .where('status_reason', '=', STATUS_REASON_NON_UK_MOBILE)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * Sets or removes a number and records when, and whether the account itself made the
 * change after passing MFA (`verified`): recovery does not trust other changes for a while.
 */
export async function setMobile(trx: Db, accountId: string, mobile: string | null, at: string, verified: boolean): Promise<void> {
  await trx.updateTable('accounts').set({ mobile, mobile_changed_at: at, mobile_change_verified: verified ? 1 : 0, updated_at: at }).where('id', '=', accountId).execute();
}

/** Accounts disabled for a non-UK number, in scope, by address (keyset paging). */
export async function listDisabledForNonUkMobile(
  db: Db, scope: OrgScope, q: { organisationId?: string; afterEmail?: string; limit: number },
): Promise<{ id: string; email: string; display_name: string; mobile: string | null; organisation_id: string; organisation_name: string }[]> {
  let query = scoped(
    db
      .selectFrom('accounts as a')
      .innerJoin('organisations as o', 'o.id', 'a.organisation_id')
      .select(['a.id', 'a.email', 'a.display_name', 'a.mobile', 'a.organisation_id', 'o.name as organisation_name'])
      .where('a.status_reason', '=', STATUS_REASON_NON_UK_MOBILE)
      .where('a.status', '=', 'disabled'),
    'a.organisation_id',
    scope,
  );
  if (q.organisationId) query = query.where('a.organisation_id', '=', q.organisationId);
  if (q.afterEmail) query = query.where('a.email', '>', q.afterEmail);
  return query.orderBy('a.email').limit(q.limit).execute();
}

export async function countDisabledForNonUkMobile(db: Db, scope: OrgScope): Promise<number> {
  const q = scoped(
    db.selectFrom('accounts').select((eb) => eb.fn.countAll<number>().as('n')).where('status_reason', '=', STATUS_REASON_NON_UK_MOBILE).where('status', '=', 'disabled'),
    'organisation_id',
    scope,
  );
  return Number((await q.executeTakeFirstOrThrow()).n);
}

// Items

export async function insertItems(trx: Db, items: readonly SweepItem[]): Promise<void> {
  if (items.length) await trx.insertInto('phone_sweep_items').values([...items]).execute();
}

/** A run's findings in account-id order, with the organisation's code and name (keyset paging). */
export async function pageItems(db: Db, runId: string, after: string | null, limit: number): Promise<(SweepItem & { organisation_code: string; organisation_name: string })[]> {
  let q = db
    .selectFrom('phone_sweep_items as i')
    .innerJoin('organisations as o', 'o.id', 'i.organisation_id')
    .selectAll('i')
    .select(['o.code as organisation_code', 'o.name as organisation_name'])
    .where('i.run_id', '=', runId);
  if (after !== null) q = q.where('i.account_id', '>', after);
  return q.orderBy('i.account_id').limit(limit).execute();
}

/** Organisations with accounts this run disabled, after `after`, in id order (for the digests). */
export async function digestOrganisations(db: Db, runId: string, after: string | null, limit: number): Promise<string[]> {
  let q = db.selectFrom('phone_sweep_items').select('organisation_id').distinct().where('run_id', '=', runId).where('action', '=', 'disabled');
  if (after !== null) q = q.where('organisation_id', '>', after);
  return (await q.orderBy('organisation_id').limit(limit).execute()).map((r) => r.organisation_id);
}

/** The accounts a run disabled in one organisation, by address. */
export async function disabledItemsOf(db: Db, runId: string, organisationId: string, limit: number): Promise<SweepItem[]> {
  return db
    .selectFrom('phone_sweep_items')
    .selectAll()
    .where('run_id', '=', runId)
    .where('organisation_id', '=', organisationId)
    .where('action', '=', 'disabled')
    .orderBy('email')
    .limit(limit)
    .execute();
}
