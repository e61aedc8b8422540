import { SqliteAdapter, sql } from 'kysely';
import type { Db } from '../../platform/db/db.js';
import type { Role, RoleGrant } from '../directory.js';

/**
 * Batch SQL for the directory import: the only place with import SQL. These queries are
 * deliberately unscoped: an import acts for the whole platform (platform admins and the
 * CLI only, checked by the command before any of these run).
 *
 * Every function takes whole batches, so a batch of N rows costs a handful of statements,
 * not N. Callers keep batches ≤ MAX_BATCH rows so the bound parameters stay below SQLite's
 * 32,766 and PostgreSQL's 65,535 limits (the upsert binds 11 per row).
 */
export const MAX_BATCH = 2000;

/**
 * Runs a bulk load with SQLite tuned for it: a 256 MB page cache, and the WAL checkpointed
 * every 400 MB instead of every 4 MB (each checkpoint rewrites and syncs the pages the
 * batches dirtied, which was half the import's time; measured at 300k rows: 8.5k rows/s
 * at 40 MB, 9.0k at 400 MB, 10.1k never — bounded disk use wins). One checkpoint at the
 * end, then the usual settings again. PostgreSQL needs nothing here.
 */
export async function withBulkLoad<T>(db: Db, fn: () => Promise<T>): Promise<T> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return fn();
  await sql`pragma cache_size = -262144`.execute(db);
  await sql`pragma wal_autocheckpoint = 100000`.execute(db);
  try {
    return await fn();
  } finally {
    await sql`pragma wal_autocheckpoint = 1000`.execute(db);
    await sql`pragma cache_size = -65536`.execute(db);
    await sql`pragma wal_checkpoint(PASSIVE)`.execute(db);
  }
}

/** Every organisation's id by code, loaded once per import (10k organisations is ~1 MB). */
export async function loadOrganisationIds(db: Db): Promise<Map<string, string>> {
  const rows = await db.selectFrom('organisations').select(['id', 'code']).execute();
  return new Map(rows.map((r) => [r.code, r.id]));
}

export interface ImportedOrganisation {
  id: string;
  code: string;
  name: string;
  highRiskAreas: string[];
  laContact: string;
  /** Sorted. */
  domains: string[];
}

/** Every organisation with its domains, by code: the organisations import compares against these. */
export async function loadOrganisationsWithDomains(db: Db): Promise<Map<string, ImportedOrganisation>> {
  const orgs = await db.selectFrom('organisations').select(['id', 'code', 'name', 'high_risk_areas', 'la_contact']).execute();
  const domains = await db.selectFrom('organisation_domains').select(['organisation_id', 'domain']).orderBy('domain').execute();
  const byOrg = new Map<string, string[]>();
  for (const d of domains) {
    const list = byOrg.get(d.organisation_id);
    if (list) list.push(d.domain);
    else byOrg.set(d.organisation_id, [d.domain]);
  }
  return new Map(
    orgs.map((o) => [
      o.code,
      {
        id: o.id, code: o.code, name: o.name, highRiskAreas: JSON.parse(o.high_risk_areas) as string[], laContact: o.la_contact,
        domains: byOrg.get(o.id) ?? [],
      },
    ]),
  );
}

export interface ExistingAccount {
  id: string;
  organisationId: string;
  displayName: string;
  businessArea: string;
  mobile: string | null;
  grants: RoleGrant[];
}

/** The accounts among these addresses that exist already, with their roles, by address. Two queries. */
export async function findAccountsByEmails(trx: Db, emails: readonly string[]): Promise<Map<string, ExistingAccount>> {
  const found = new Map<string, ExistingAccount>();
  if (!emails.length) return found;
  const rows = await trx
    .selectFrom('accounts')
    .select(['id', 'email', 'organisation_id', 'display_name', 'business_area', 'mobile'])
    .where('email', 'in', [...emails])
    .execute();
  if (!rows.length) return found;
  const byId = new Map<string, ExistingAccount>();
  for (const r of rows) {
    const a: ExistingAccount = {
      id: r.id, organisationId: r.organisation_id, displayName: r.display_name, businessArea: r.business_area, mobile: r.mobile, grants: [],
    };
    found.set(r.email, a);
    byId.set(r.id, a);
  }
  const roles = await trx.selectFrom('account_roles').select(['account_id', 'role', 'scope']).where('account_id', 'in', [...byId.keys()]).execute();
  for (const g of roles) byId.get(g.account_id)?.grants.push({ role: g.role as Role, scope: g.scope });
  return found;
}

export interface AccountUpsert {
  /** Used only when the address is new; an existing account keeps its id. */
  id: string;
  organisationId: string;
  email: string;
  displayName: string;
  businessArea: string;
  mobile: string | null;
}

/**
 * Inserts new accounts and updates existing ones (by address) in one statement. New
 * accounts are active, with no password (they cannot sign in until a reset). An update
 * changes the directory fields only: never password, status or creation time.
 * Addresses must be unique within the batch (PostgreSQL refuses to update a row twice in
 * one statement). @returns the stored id of every address written
 */
export async function upsertAccounts(trx: Db, rows: readonly AccountUpsert[], now: string): Promise<Map<string, string>> {
  if (!rows.length) return new Map();
  const written = await trx
    .insertInto('accounts')
    .values(
      rows.map((r) => ({
        id: r.id, organisation_id: r.organisationId, email: r.email, display_name: r.displayName, business_area: r.businessArea,
        status: 'active' as const, mobile: r.mobile, mobile_changed_at: r.mobile === null ? null : now, mobile_change_verified: 0,
        password_hash: null, must_change_password: 0, created_at: now, updated_at: now,
      })),
    )
    .onConflict((oc) =>
      oc.column('email').doUpdateSet((eb) => ({
        organisation_id: eb.ref('excluded.organisation_id'),
        display_name: eb.ref('excluded.display_name'),
        business_area: eb.ref('excluded.business_area'),
        mobile: eb.ref('excluded.mobile'),
        // A number the import changes was set by someone other than the account: recovery
        // does not take it as a second factor for a while. An unchanged number keeps its history.
        mobile_changed_at: sql<string | null>`case when accounts.mobile is not distinct from excluded.mobile then accounts.mobile_changed_at else excluded.updated_at end`,
        mobile_change_verified: sql<number>`case when accounts.mobile is not distinct from excluded.mobile then accounts.mobile_change_verified else 0 end`,
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .returning(['id', 'email'])
    .execute();
  return new Map(written.map((r) => [r.email, r.id]));
}

/**
 * Replaces the roles of every account in the map: the old grants of the accounts that
 * existed before this batch are deleted, then every grant is inserted (two statements; a
 * batch of new accounts skips the delete).
 */
export async function replaceRolesOfAccounts(trx: Db, grants: ReadonlyMap<string, readonly RoleGrant[]>, existing: ReadonlySet<string>): Promise<void> {
  if (!grants.size) return;
  const clear = [...grants.keys()].filter((id) => existing.has(id));
  if (clear.length) await trx.deleteFrom('account_roles').where('account_id', 'in', clear).execute();
  const rows = [...grants].flatMap(([accountId, gs]) => gs.map((g) => ({ account_id: accountId, role: g.role, scope: g.scope })));
  if (rows.length) await trx.insertInto('account_roles').values(rows).execute();
}
