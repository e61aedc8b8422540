import type { Selectable } from 'kysely';
import type { Db } from '../platform/db/db.js';
import type { AccountTable, OrganisationTable } from './directory.tables.js';
import type { Account, Organisation, Role, RoleGrant } from './directory.js';
import type { OrgScope } from './directory.policy.js';
import { containsText } from '../platform/db/like.js';

/** The only place with directory SQL. Every query that returns organisation data takes a scope. */

export function toAccount(r: Selectable<AccountTable>): Account {
  return {
    id: r.id,
    organisationId: r.organisation_id,
    email: r.email,
    displayName: r.display_name,
    businessArea: r.business_area,
    status: r.status,
    statusReason: r.status_reason,
    mobile: r.mobile,
    passwordChangedAt: r.password_changed_at,
    mustChangePassword: Number(r.must_change_password) === 1,
    mfaRequired: Number(r.mfa_required) === 1,
    compromisedAt: r.compromised_at,
    mobileChangedAt: r.mobile_changed_at ?? null,
    mobileChangeVerified: Number(r.mobile_change_verified ?? 0) === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toOrganisation(r: Selectable<OrganisationTable>, domains: string[]): Organisation {
  return {
    id: r.id,
    code: r.code,
    name: r.name,
    domains,
    highRiskAreas: JSON.parse(r.high_risk_areas) as string[],
    laContact: r.la_contact,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Adds the organisation filter for a scope. An empty scope matches nothing. */
function scoped<Q>(q: Q, column: 'id' | 'organisation_id', scope: OrgScope): Q {
  if (scope.all) return q;
  const ids = scope.organisationIds.length ? [...scope.organisationIds] : ['(none)'];
  return (q as unknown as { where(c: string, op: 'in', v: string[]): Q }).where(column, 'in', ids);
}

async function domainsOf(db: Db, orgIds: string[]): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>();
  if (!orgIds.length) return map;
  const rows = await db.selectFrom('organisation_domains').select(['domain', 'organisation_id']).where('organisation_id', 'in', orgIds).orderBy('domain').execute();
  for (const r of rows) map.set(r.organisation_id, [...(map.get(r.organisation_id) ?? []), r.domain]);
  return map;
}

export async function findOrganisation(db: Db, id: string, scope: OrgScope): Promise<Organisation | undefined> {
  const row = await scoped(db.selectFrom('organisations').selectAll().where('id', '=', id), 'id', scope).executeTakeFirst();
  if (!row) return undefined;
  return toOrganisation(row, (await domainsOf(db, [row.id])).get(row.id) ?? []);
}

/** Unscoped lookup by code: for imports and the CLI, which act for the platform. */
export async function findOrganisationByCode(db: Db, code: string): Promise<Organisation | undefined> {
  const row = await db.selectFrom('organisations').selectAll().where('code', '=', code).executeTakeFirst();
  if (!row) return undefined;
  return toOrganisation(row, (await domainsOf(db, [row.id])).get(row.id) ?? []);
}

export async function listOrganisations(db: Db, scope: OrgScope, q: { search?: string; afterName?: string; limit: number }): Promise<Organisation[]> {
  let query = scoped(db.selectFrom('organisations').selectAll(), 'id', scope);
  if (q.search) {
    const s = q.search.toLowerCase();
    query = query.where((eb) => eb.or([containsText(eb.fn<string>('lower', ['name']), s), containsText(eb.fn<string>('lower', ['code']), s)]));
  }
  if (q.afterName) query = query.where('name', '>', q.afterName);
  const rows = await query.orderBy('name').limit(q.limit).execute();
  const domains = await domainsOf(db, rows.map((r) => r.id));
  return rows.map((r) => toOrganisation(r, domains.get(r.id) ?? []));
}

export async function countOrganisations(db: Db, scope: OrgScope): Promise<number> {
  const r = await scoped(db.selectFrom('organisations').select((eb) => eb.fn.countAll<number>().as('n')), 'id', scope).executeTakeFirstOrThrow();
  return Number(r.n);
}

export interface OrganisationUpsert {
  id: string;
  code: string;
  name: string;
  highRiskAreas: string[];
  laContact: string;
  now: string;
}

/** Inserts or updates by code; returns the stored id and whether it was new. */
export async function upsertOrganisation(trx: Db, o: OrganisationUpsert): Promise<{ id: string; created: boolean }> {
  const existing = await trx.selectFrom('organisations').select('id').where('code', '=', o.code).executeTakeFirst();
  if (existing) {
    await trx
      .updateTable('organisations')
      .set({ name: o.name, high_risk_areas: JSON.stringify(o.highRiskAreas), la_contact: o.laContact, updated_at: o.now })
      .where('id', '=', existing.id)
      .execute();
    return { id: existing.id, created: false };
  }
  await trx
    .insertInto('organisations')
    .values({ id: o.id, code: o.code, name: o.name, high_risk_areas: JSON.stringify(o.highRiskAreas), la_contact: o.laContact, created_at: o.now, updated_at: o.now })
    .execute();
  return { id: o.id, created: true };
}

/** The organisations that already own any of these domains (other than `exceptOrgId`). */
export async function domainOwners(db: Db, domains: string[], exceptOrgId: string): Promise<{ domain: string; organisation_id: string }[]> {
  if (!domains.length) return [];
  return db.selectFrom('organisation_domains').select(['domain', 'organisation_id']).where('domain', 'in', domains).where('organisation_id', '!=', exceptOrgId).execute();
}

export async function replaceOrganisationDomains(trx: Db, orgId: string, domains: string[]): Promise<void> {
  await trx.deleteFrom('organisation_domains').where('organisation_id', '=', orgId).execute();
  if (domains.length) await trx.insertInto('organisation_domains').values(domains.map((domain) => ({ domain, organisation_id: orgId }))).execute();
}

export async function findAccount(db: Db, id: string, scope: OrgScope): Promise<Account | undefined> {
  const row = await scoped(db.selectFrom('accounts').selectAll().where('id', '=', id), 'organisation_id', scope).executeTakeFirst();
  return row ? toAccount(row) : undefined;
}

/** Unscoped lookup by address: only for sign-in, the CLI and imports. */
export async function findAccountByEmail(db: Db, email: string): Promise<(Account & { passwordHash: string | null }) | undefined> {
  const row = await db.selectFrom('accounts').selectAll().where('email', '=', email).executeTakeFirst();
  return row ? { ...toAccount(row), passwordHash: row.password_hash } : undefined;
}

export interface AccountQuery {
  search?: string;
  organisationId?: string;
  afterEmail?: string;
  limit: number;
}

/**
 * Accounts in scope ordered by address, a page at a time (keyset paging: deep pages cost
 * the same as the first). Search matches an address prefix or a display-name fragment.
 */
export async function listAccounts(db: Db, scope: OrgScope, q: AccountQuery): Promise<Account[]> {
  let query = scoped(db.selectFrom('accounts').selectAll(), 'organisation_id', scope);
  if (q.organisationId) query = query.where('organisation_id', '=', q.organisationId);
  if (q.search) {
    const s = q.search.toLowerCase();
    query = query.where((eb) =>
      eb.or([eb.and([eb('email', '>=', s), eb('email', '<', s + '\uffff')]), containsText(eb.fn<string>('lower', ['display_name']), s)]),
    );
  }
  if (q.afterEmail) query = query.where('email', '>', q.afterEmail);
  const rows = await query.orderBy('email').limit(q.limit).execute();
  return rows.map(toAccount);
}

export async function countAccounts(db: Db, scope: OrgScope, organisationId?: string): Promise<number> {
  let query = scoped(db.selectFrom('accounts').select((eb) => eb.fn.countAll<number>().as('n')), 'organisation_id', scope);
  if (organisationId) query = query.where('organisation_id', '=', organisationId);
  const r = await query.executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function rolesOf(db: Db, accountId: string): Promise<RoleGrant[]> {
  const rows = await db.selectFrom('account_roles').select(['role', 'scope']).where('account_id', '=', accountId).orderBy('role').execute();
  return rows.map((r) => ({ role: r.role as Role, scope: r.scope }));
}

export async function replaceRoles(trx: Db, accountId: string, grants: readonly RoleGrant[]): Promise<void> {
  await trx.deleteFrom('account_roles').where('account_id', '=', accountId).execute();
  if (grants.length) await trx.insertInto('account_roles').values(grants.map((g) => ({ account_id: accountId, role: g.role, scope: g.scope }))).execute();
}

export interface AccountInsert {
  id: string;
  organisationId: string;
  email: string;
  displayName: string;
  businessArea: string;
  mobile: string | null;
  passwordHash: string | null;
  mustChangePassword: boolean;
  now: string;
}

export async function insertAccount(trx: Db, a: AccountInsert): Promise<void> {
  await trx
    .insertInto('accounts')
    .values({
      id: a.id, organisation_id: a.organisationId, email: a.email, display_name: a.displayName, business_area: a.businessArea,
      status: 'active', status_reason: null, mobile: a.mobile, password_hash: a.passwordHash,
      password_changed_at: a.passwordHash ? a.now : null, must_change_password: a.mustChangePassword ? 1 : 0,
      created_at: a.now, updated_at: a.now,
    })
    .execute();
}

/** Local Administrators of an organisation (for notifications and referral scripts). */
export async function localAdminsOf(db: Db, organisationId: string): Promise<Account[]> {
  const rows = await db
    .selectFrom('accounts')
    .innerJoin('account_roles', 'account_roles.account_id', 'accounts.id')
    .selectAll('accounts')
    .where('account_roles.role', '=', 'local-admin')
    .where('account_roles.scope', '=', organisationId)
    .orderBy('accounts.email')
    .execute();
  return rows.map(toAccount);
}

/** Changes the display name and business area (the mobile number changes through phones' recordMobileChange). */
export async function updateAccountDetails(trx: Db, id: string, d: { displayName: string; businessArea: string; now: string }): Promise<void> {
  await trx.updateTable('accounts').set({ display_name: d.displayName, business_area: d.businessArea, updated_at: d.now }).where('id', '=', id).execute();
}
