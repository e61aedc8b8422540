import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { PRIVILEGED_ROLES, type Role, type RoleGrant } from '../directory/directory.js';
import type { OrgScope } from '../directory/directory.policy.js';
import type { Db } from '../platform/db/db.js';
import { areaKey, isHighRiskArea } from '../directory/directory.js';
import type { AreaCoverage } from './coverage.js';
import { containsText } from '../platform/db/like.js';

/**
 * The SQL of MFA coverage. Whole organisations are counted by aggregates (one pass over
 * the organisation's accounts, with indexed EXISTS probes into factors and roles), never
 * by loading accounts into memory. Every query is filtered by organisation.
 */

/** An organisation as coverage needs it. */
export interface CoverageOrganisation {
  id: string;
  code: string;
  name: string;
  highRiskAreas: string[];
  /** The stored high-risk list as text: a change applies only if it is still this. */
  version: string;
}

/** An account as the coverage lists show it. */
export interface CoverageAccount {
  id: string;
  organisationId: string;
  email: string;
  displayName: string;
  businessArea: string;
  mfaRequired: boolean;
  compromisedAt: string | null;
}

const CHUNK = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/**
 * SQL twin of mfaReasons (mfa.ts) for accounts aliased `a`: the area compared trimmed and
 * without case, a privileged role, compromised, or marked. Keep the two in step: the
 * coverage tests compare them account by account.
 */
function requiredSql(highRiskAreas: readonly string[]): RawBuilder<SqlBool> {
  const keys = [...new Set(highRiskAreas.map(areaKey).filter((k) => k !== ''))];
  const area = keys.length ? sql`lower(trim(a.business_area)) in (${sql.join(keys)})` : sql`1 = 0`;
  const privileged = sql`exists (select 1 from account_roles r where r.account_id = a.id and r.role in (${sql.join([...PRIVILEGED_ROLES])}))`;
  return sql<SqlBool>`(${area} or a.mfa_required = 1 or a.compromised_at is not null or ${privileged})`;
}

const enrolledSql = sql<SqlBool>`exists (select 1 from mfa_factors f where f.account_id = a.id and f.status = 'active')`;

function toCoverageOrganisation(r: { id: string; code: string; name: string; high_risk_areas: string }): CoverageOrganisation {
  return { id: r.id, code: r.code, name: r.name, highRiskAreas: JSON.parse(r.high_risk_areas) as string[], version: r.high_risk_areas };
}

/** One organisation if it is in scope. */
export async function findCoverageOrganisation(db: Db, id: string, scope: OrgScope): Promise<CoverageOrganisation | undefined> {
  if (!scope.all && !scope.organisationIds.includes(id)) return undefined;
  const r = await db.selectFrom('organisations').select(['id', 'code', 'name', 'high_risk_areas']).where('id', '=', id).executeTakeFirst();
  return r && toCoverageOrganisation(r);
}

/** Organisations in scope by name (for the organisation picker), at most `limit`. */
export async function listCoverageOrganisations(db: Db, scope: OrgScope, limit: number): Promise<{ id: string; code: string; name: string }[]> {
  let q = db.selectFrom('organisations').select(['id', 'code', 'name']);
  if (!scope.all) q = q.where('id', 'in', scope.organisationIds.length ? [...scope.organisationIds] : ['(none)']);
  return q.orderBy('name').orderBy('id').limit(limit).execute();
}

/** Coverage of every business area of one organisation, in one aggregate query. */
export async function areaCoverage(db: Db, org: CoverageOrganisation): Promise<AreaCoverage[]> {
  const flags = db
    .selectFrom('accounts as a')
    .select([
      'a.business_area',
      sql<number>`case when ${requiredSql(org.highRiskAreas)} then 1 else 0 end`.as('req'),
      sql<number>`case when ${enrolledSql} then 1 else 0 end`.as('enr'),
    ])
    .where('a.organisation_id', '=', org.id)
    .as('t');
  const rows = await db
    .selectFrom(flags)
    .select([
      't.business_area',
      (eb) => eb.fn.countAll<number>().as('total'),
      sql<number>`sum(t.req)`.as('required'),
      sql<number>`sum(t.req * t.enr)`.as('required_enrolled'),
      sql<number>`sum(t.enr)`.as('enrolled'),
    ])
    .groupBy('t.business_area')
    .execute();
  return rows
    .map((r) => ({
      businessArea: r.business_area,
      total: Number(r.total),
      required: Number(r.required),
      requiredEnrolled: Number(r.required_enrolled),
      enrolled: Number(r.enrolled),
      highRisk: isHighRiskArea(r.business_area, org.highRiskAreas),
    }))
    // Sorted here: the two databases collate text differently.
    .sort((x, y) => (x.businessArea < y.businessArea ? -1 : x.businessArea > y.businessArea ? 1 : 0));
}

const accountColumns = ['a.id', 'a.organisation_id', 'a.email', 'a.display_name', 'a.business_area', 'a.mfa_required', 'a.compromised_at'] as const;

function toCoverageAccount(r: {
  id: string; organisation_id: string; email: string; display_name: string; business_area: string; mfa_required: number; compromised_at: string | null;
}): CoverageAccount {
  return {
    id: r.id, organisationId: r.organisation_id, email: r.email, displayName: r.display_name, businessArea: r.business_area,
    mfaRequired: Number(r.mfa_required) === 1, compromisedAt: r.compromised_at,
  };
}

/**
 * Accounts of an organisation that must use MFA and have no active factor, by address,
 * a page at a time (keyset on the address). `areaSearch` matches an area name fragment.
 */
export async function requiredNotEnrolled(
  db: Db, org: CoverageOrganisation, q: { areaSearch?: string; afterEmail?: string; limit: number },
): Promise<CoverageAccount[]> {
  let query = db
    .selectFrom('accounts as a')
    .select(accountColumns)
    .where('a.organisation_id', '=', org.id)
    .where(requiredSql(org.highRiskAreas))
    .where(sql<SqlBool>`not ${enrolledSql}`);
  const s = q.areaSearch?.trim().toLowerCase();
  if (s) query = query.where(containsText(sql<string>`lower(a.business_area)`, s));
  if (q.afterEmail) query = query.where('a.email', '>', q.afterEmail);
  return (await query.orderBy('a.email').limit(q.limit).execute()).map(toCoverageAccount);
}

/** Accounts of an organisation in `area` (trimmed, without case) that need no MFA today. */
export async function unrequiredInArea(db: Db, org: CoverageOrganisation, area: string): Promise<CoverageAccount[]> {
  const rows = await db
    .selectFrom('accounts as a')
    .select(accountColumns)
    .where('a.organisation_id', '=', org.id)
    .where(sql<SqlBool>`lower(trim(a.business_area)) = ${areaKey(area)}`)
    .where(sql<SqlBool>`not ${requiredSql(org.highRiskAreas)}`)
    .orderBy('a.email')
    .execute();
  return rows.map(toCoverageAccount);
}

/** Accounts with these addresses inside the scope (addresses elsewhere are simply absent). */
export async function findAccountsByEmails(db: Db, scope: OrgScope, emails: readonly string[]): Promise<CoverageAccount[]> {
  const out: CoverageAccount[] = [];
  for (const part of chunks(emails)) {
    let q = db.selectFrom('accounts as a').select(accountColumns).where('a.email', 'in', part);
    if (!scope.all) q = q.where('a.organisation_id', 'in', scope.organisationIds.length ? [...scope.organisationIds] : ['(none)']);
    out.push(...(await q.execute()).map(toCoverageAccount));
  }
  return out;
}

/** Roles of several accounts at once. */
export async function rolesOfAccounts(db: Db, accountIds: readonly string[]): Promise<Map<string, RoleGrant[]>> {
  const map = new Map<string, RoleGrant[]>();
  for (const part of chunks(accountIds)) {
    const rows = await db.selectFrom('account_roles').select(['account_id', 'role', 'scope']).where('account_id', 'in', part).execute();
    for (const r of rows) map.set(r.account_id, [...(map.get(r.account_id) ?? []), { role: r.role as Role, scope: r.scope }]);
  }
  return map;
}

/** High-risk areas of several organisations at once. */
export async function highRiskAreasOf(db: Db, organisationIds: readonly string[]): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>();
  for (const part of chunks(organisationIds)) {
    const rows = await db.selectFrom('organisations').select(['id', 'high_risk_areas']).where('id', 'in', part).execute();
    for (const r of rows) map.set(r.id, JSON.parse(r.high_risk_areas) as string[]);
  }
  return map;
}

/**
 * Replaces an organisation's high-risk areas only if the stored list is still `version`
 * (optimistic: portable to both databases, and two concurrent changes cannot lose one
 * another). @returns whether the row was updated
 */
export async function replaceHighRiskAreas(trx: Db, organisationId: string, version: string, to: readonly string[], now: string): Promise<boolean> {
  const r = await trx
    .updateTable('organisations')
    .set({ high_risk_areas: JSON.stringify(to), updated_at: now })
    .where('id', '=', organisationId)
    .where('high_risk_areas', '=', version)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Marks accounts as requiring MFA (those not yet marked). @returns how many changed */
export async function markMfaRequired(trx: Db, accountIds: readonly string[], now: string): Promise<number> {
  let n = 0;
  for (const part of chunks(accountIds)) {
    const r = await trx.updateTable('accounts').set({ mfa_required: 1, updated_at: now }).where('id', 'in', part).where('mfa_required', '=', 0).executeTakeFirst();
    n += Number(r.numUpdatedRows);
  }
  return n;
}

/** Lifts an individual mark. @returns whether it was set */
export async function unmarkMfaRequired(trx: Db, accountId: string, now: string): Promise<boolean> {
  const r = await trx.updateTable('accounts').set({ mfa_required: 0, updated_at: now }).where('id', '=', accountId).where('mfa_required', '=', 1).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
