import type { Db } from '../platform/db/db.js';
import type { OrgScope } from '../directory/directory.policy.js';

/**
 * The only SQL of password expiry. `organisations.password_lifetime_days` (NULL = off) is
 * added by this capability's migration; it is typed here so the foundation's table type
 * need not know about it.
 */
type WithLifetime = { organisations: { password_lifetime_days: number | null } };
function withLifetime(db: Db) {
  return db.withTables<WithLifetime>();
}

/** The distinct lifetimes in use (expiry off is not one). */
export async function lifetimesInUse(db: Db): Promise<number[]> {
  const rows = await withLifetime(db).selectFrom('organisations').select('password_lifetime_days').distinct().where('password_lifetime_days', 'is not', null).execute();
  return rows.map((r) => Number(r.password_lifetime_days)).sort((a, b) => a - b);
}

export interface ReminderCandidate {
  id: string;
  organisation_id: string;
  email: string;
  display_name: string;
  password_changed_at: string;
}

/**
 * Active accounts with a password, in organisations with lifetime `lifetimeDays`, whose
 * password was set in (after, upTo], that have not had the reminder `days` for this
 * password yet. Keyset-paged by (password_changed_at, id).
 */
export async function reminderCandidates(
  db: Db, q: { lifetimeDays: number; days: number; after: string; upTo: string; cursor?: { changedAt: string; id: string }; limit: number },
): Promise<ReminderCandidate[]> {
  let query = withLifetime(db)
    .selectFrom('accounts as a')
    .innerJoin('organisations as o', 'o.id', 'a.organisation_id')
    .select(['a.id', 'a.organisation_id', 'a.email', 'a.display_name', 'a.password_changed_at'])
    .where('o.password_lifetime_days', '=', q.lifetimeDays)
    .where('a.status', '=', 'active')
    .where('a.password_hash', 'is not', null)
    .where('a.password_changed_at', '>', q.after)
    .where('a.password_changed_at', '<=', q.upTo)
    .where(({ not, exists, selectFrom }) => not(exists(
      selectFrom('password_reminders as r').select('r.account_id')
        .whereRef('r.account_id', '=', 'a.id').whereRef('r.password_changed_at', '=', 'a.password_changed_at')
        .where('r.lifetime_days', '=', q.lifetimeDays).where('r.days_before', '=', q.days),
    )));
  if (q.cursor) {
    const c = q.cursor;
    query = query.where((eb) => eb.or([eb('a.password_changed_at', '>', c.changedAt), eb.and([eb('a.password_changed_at', '=', c.changedAt), eb('a.id', '>', c.id)])]));
  }
  const rows = await query.orderBy('a.password_changed_at').orderBy('a.id').limit(q.limit).execute();
  return rows as ReminderCandidate[];
}

/**
 * Records that these reminders are scheduled (multi-row, chunks of 500). Returns the
 * accounts whose row is new: the others already had it (another node, or a rerun).
 */
export async function recordReminders(
  trx: Db, rows: readonly { accountId: string; changedAt: string; lifetimeDays: number; days: number; notificationId: string; at: string }[],
): Promise<Set<string>> {
  const fresh = new Set<string>();
  for (let i = 0; i < rows.length; i += 500) {
    const res = await trx.insertInto('password_reminders')
      .values(rows.slice(i, i + 500).map((r) => ({
        account_id: r.accountId, password_changed_at: r.changedAt, lifetime_days: r.lifetimeDays, days_before: r.days, notification_id: r.notificationId, created_at: r.at,
      })))
      .onConflict((oc) => oc.columns(['account_id', 'password_changed_at', 'lifetime_days', 'days_before']).doNothing())
      .returning('account_id')
      .execute();
    for (const r of res) fresh.add(r.account_id);
  }
  return fresh;
}

/** An account's password time and its organisation's lifetime (null = expiry off). */
export async function passwordPolicyOf(db: Db, accountId: string): Promise<{ passwordChangedAt: string | null; lifetimeDays: number | null } | undefined> {
  const r = await withLifetime(db)
    .selectFrom('accounts as a').innerJoin('organisations as o', 'o.id', 'a.organisation_id')
    .select(['a.password_changed_at', 'o.password_lifetime_days']).where('a.id', '=', accountId).executeTakeFirst();
  return r ? { passwordChangedAt: r.password_changed_at, lifetimeDays: r.password_lifetime_days === null ? null : Number(r.password_lifetime_days) } : undefined;
}

/** Requires a password change at the next page (set at sign-in once the password expired). */
export async function requirePasswordChange(trx: Db, accountId: string, at: string): Promise<void> {
  await trx.updateTable('accounts').set({ must_change_password: 1, updated_at: at }).where('id', '=', accountId).execute();
}

/** An organisation's lifetime, within scope (undefined when outside it or missing). */
export async function organisationLifetime(db: Db, organisationId: string, scope: OrgScope): Promise<{ id: string; name: string; lifetimeDays: number | null } | undefined> {
  let q = withLifetime(db).selectFrom('organisations').select(['id', 'name', 'password_lifetime_days']).where('id', '=', organisationId);
  if (!scope.all) q = q.where('id', 'in', scope.organisationIds.length ? [...scope.organisationIds] : ['(none)']);
  const r = await q.executeTakeFirst();
  return r ? { id: r.id, name: r.name, lifetimeDays: r.password_lifetime_days === null ? null : Number(r.password_lifetime_days) } : undefined;
}

export async function setOrganisationLifetime(trx: Db, organisationId: string, lifetimeDays: number | null, at: string): Promise<void> {
  await withLifetime(trx).updateTable('organisations').set({ password_lifetime_days: lifetimeDays, updated_at: at }).where('id', '=', organisationId).execute();
}
