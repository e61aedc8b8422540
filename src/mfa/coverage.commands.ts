import { recordAudit } from '../audit/audit.commands.js';
import type { Actor, Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { NotFound, Unauthenticated } from '../platform/errors/errors.js';
import { filterAreas, totalsOf, type AreaCoverage, type CoverageFilter } from './coverage.js';
import { authorizeCoverageRead, canRequireMfa } from './coverage.policy.js';
import {
  areaCoverage, findCoverageOrganisation, highRiskAreasOf, listCoverageOrganisations, requiredNotEnrolled, rolesOfAccounts,
  type CoverageAccount, type CoverageOrganisation,
} from './coverage.repo.js';
import { mfaReasons, type MfaReason } from './mfa.js';

/**
 * Reading MFA coverage: the per-area table and the "required but not enrolled" list of
 * one organisation, for the portal, the CSV exports and the API. Changes (require MFA,
 * lift a mark) are in coverage.require.commands.ts.
 */

export function requireActor(ctx: Ctx): Actor {
  if (!ctx.actor) throw new Unauthenticated();
  return ctx.actor;
}

/** The organisation picker lists at most this many organisations. */
const PICKER_LIMIT = 1000;

export interface CoverageView {
  organisation: Omit<CoverageOrganisation, 'version'>;
  /** Organisations the actor may pick from (the selected one always among them). */
  organisations: { id: string; code: string; name: string }[];
  /** Areas passing the filter. */
  areas: AreaCoverage[];
  /** Sums over the areas shown. */
  totals: ReturnType<typeof totalsOf>;
  /** Whether the actor may require MFA in this organisation. */
  canRequire: boolean;
}

/**
 * Picks the organisation to show: the one asked for if in scope, else the actor's first
 * by name. @throws Forbidden (no coverage scope), NotFound (organisation outside scope)
 */
async function selectOrganisation(db: Db, actor: Actor, organisationId: string | undefined): Promise<{
  org: CoverageOrganisation; choices: { id: string; code: string; name: string }[];
}> {
  const scope = authorizeCoverageRead(actor, organisationId);
  const choices = await listCoverageOrganisations(db, scope, PICKER_LIMIT);
  const id = organisationId ?? choices[0]?.id;
  const org = id ? await findCoverageOrganisation(db, id, scope) : undefined;
  if (!org) throw new NotFound();
  if (!choices.some((c) => c.id === org.id)) choices.push({ id: org.id, code: org.code, name: org.name });
  return { org, choices };
}

/**
 * Coverage per business area of one organisation (default: the actor's first), computed
 * live from the database. @throws Forbidden, NotFound, Unauthenticated
 */
export async function getCoverageFor(db: Db, ctx: Ctx, q: { organisationId?: string } & CoverageFilter): Promise<CoverageView> {
  const actor = requireActor(ctx);
  const { org, choices } = await selectOrganisation(db, actor, q.organisationId);
  const areas = filterAreas(await areaCoverage(db, org), q);
  const { version: _v, ...organisation } = org;
  return { organisation, organisations: choices, areas, totals: totalsOf(areas), canRequire: canRequireMfa(actor, org.id) };
}

export interface MissingAccount extends CoverageAccount {
  reasons: MfaReason[];
}

/** Adds each account's reasons, computed by the sign-in rule itself (mfaReasons). */
export async function withReasons(db: Db, accounts: CoverageAccount[]): Promise<MissingAccount[]> {
  const roles = await rolesOfAccounts(db, accounts.map((a) => a.id));
  const areas = await highRiskAreasOf(db, [...new Set(accounts.map((a) => a.organisationId))]);
  return accounts.map((a) => ({
    ...a,
    reasons: mfaReasons({
      businessArea: a.businessArea, highRiskAreas: areas.get(a.organisationId) ?? [], roles: roles.get(a.id) ?? [],
      mfaRequired: a.mfaRequired, compromisedAt: a.compromisedAt,
    }),
  }));
}

/**
 * A page of the accounts of an organisation that must use MFA and have not enrolled, by
 * address. @throws Forbidden, NotFound, Unauthenticated
 */
export async function listMissingFor(
  db: Db, ctx: Ctx, q: { organisationId?: string; areaSearch?: string; afterEmail?: string; limit?: number },
): Promise<MissingAccount[]> {
  const actor = requireActor(ctx);
  const { org } = await selectOrganisation(db, actor, q.organisationId);
  const limit = Math.min(Math.max(Math.trunc(q.limit ?? 50), 1), 1000);
  return withReasons(db, await requiredNotEnrolled(db, org, { areaSearch: q.areaSearch, afterEmail: q.afterEmail, limit }));
}

/**
 * The per-area table for CSV. The export is audited (who took which figures).
 * @throws Forbidden, NotFound, Unauthenticated
 */
export async function exportCoverageFor(db: Db, ctx: Ctx, q: { organisationId?: string } & CoverageFilter): Promise<CoverageView> {
  const view = await getCoverageFor(db, ctx, q);
  await db.transaction().execute((trx) =>
    recordAudit(trx, ctx, { action: 'mfa.coverage.export', organisationId: view.organisation.id, details: { list: 'areas', search: q.search ?? null, gapsOnly: !!q.gapsOnly } }),
  );
  return view;
}

/**
 * Every required-but-not-enrolled account of an organisation, a page at a time, for CSV.
 * Authorized and audited before the first page. @throws Forbidden, NotFound, Unauthenticated
 */
export async function* exportMissingFor(db: Db, ctx: Ctx, q: { organisationId?: string; areaSearch?: string }): AsyncGenerator<MissingAccount[]> {
  const actor = requireActor(ctx);
  const { org } = await selectOrganisation(db, actor, q.organisationId);
  await db.transaction().execute((trx) =>
    recordAudit(trx, ctx, { action: 'mfa.coverage.export', organisationId: org.id, details: { list: 'required-not-enrolled', search: q.areaSearch ?? null } }),
  );
  let after: string | undefined;
  for (;;) {
    const page = await requiredNotEnrolled(db, org, { areaSearch: q.areaSearch, afterEmail: after, limit: 1000 });
    if (page.length) yield await withReasons(db, page);
    if (page.length < 1000) return;
    after = page[page.length - 1]!.email;
  }
}

/**
 * The coverage page in one load: the per-area view and one page of the people to chase in
 * the same organisation (`limit` accounts after `afterEmail`). @throws Forbidden, NotFound, Unauthenticated
 */
export async function coveragePageFor(
  db: Db, ctx: Ctx, q: { organisationId?: string; afterEmail?: string; limit: number } & CoverageFilter,
): Promise<{ view: CoverageView; missing: MissingAccount[] }> {
  const view = await getCoverageFor(db, ctx, { organisationId: q.organisationId, search: q.search, gapsOnly: q.gapsOnly });
  const missing = await listMissingFor(db, ctx, { organisationId: view.organisation.id, areaSearch: q.search, afterEmail: q.afterEmail, limit: q.limit });
  return { view, missing };
}
