import { recordAudit } from '../audit/audit.commands.js';
import { isHighRiskArea } from '../directory/directory.js';
import { authorizeManageAccount } from '../directory/directory.policy.js';
import { findAccount, rolesOf } from '../directory/directory.repo.js';
import type { Actor, Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { Conflict, Invalid, NotFound } from '../platform/errors/errors.js';
import {
  areaProblems, auditIds, MAX_PASTED_ADDRESSES, parseAddressList, withHighRiskArea, type PastedAddress,
} from './coverage.js';
import { requireActor, withReasons } from './coverage.commands.js';
import { authorizeRequireMfa } from './coverage.policy.js';
import {
  findAccountsByEmails, findCoverageOrganisation, markMfaRequired, replaceHighRiskAreas, unmarkMfaRequired, unrequiredInArea,
} from './coverage.repo.js';

/**
 * Requiring MFA in bulk, in two steps: a preview that changes nothing, then a confirm that
 * carries the same input, computes the affected accounts again from the database (never
 * from a list the client sends back) and applies the change and its audit event in one
 * transaction. When the caller passes the count it was shown and the database now says
 * otherwise, the confirm refuses (Conflict) so that nobody is changed unseen.
 */

export interface AffectedAccount {
  id: string;
  organisationId: string;
  email: string;
  displayName: string;
  businessArea: string;
  /** Already required to use MFA for another reason (so the change adds no new duty). */
  requiredBefore: boolean;
  /** Line of the pasted list that named it (lists only). */
  line?: number;
}

export interface AreaRequirement {
  kind: 'area';
  organisation: { id: string; code: string; name: string };
  businessArea: string;
  /** The area is already high-risk: there is nothing to do. */
  alreadyHighRisk: boolean;
  /** Accounts in the area that do not need MFA today and will. */
  affected: AffectedAccount[];
  applied: boolean;
}

export interface ListRequirement {
  kind: 'list';
  /** Accounts that will be marked. */
  affected: AffectedAccount[];
  /** Accounts already marked individually (left as they are). */
  alreadyMarked: AffectedAccount[];
  /** Addresses not found in the actor's organisations, whether or not they exist elsewhere. */
  notFound: PastedAddress[];
  /** Entries that are not email addresses. */
  invalid: { line: number; text: string }[];
  applied: boolean;
}

function checkExpected(expected: number | undefined, actual: number): void {
  if (expected !== undefined && expected !== actual) {
    throw new Conflict(`The accounts affected have changed since the preview (${expected} then, ${actual} now). Check the new preview and confirm again.`);
  }
}

async function computeArea(db: Db, actor: Actor, input: { organisationId: string; businessArea: string }): Promise<AreaRequirement & { version: string; highRiskAreas: string[] }> {
  const scope = authorizeRequireMfa(actor, input.organisationId);
  const org = await findCoverageOrganisation(db, input.organisationId, scope);
  if (!org) throw new NotFound();
  const problems = areaProblems(input.businessArea);
  if (problems.length) throw new Invalid('MFA was not required.', problems);
  const businessArea = input.businessArea.trim();
  const alreadyHighRisk = isHighRiskArea(businessArea, org.highRiskAreas);
  const accounts = alreadyHighRisk ? [] : await unrequiredInArea(db, org, businessArea);
  return {
    kind: 'area', organisation: { id: org.id, code: org.code, name: org.name }, businessArea, alreadyHighRisk,
    affected: accounts.map((a) => ({ id: a.id, organisationId: a.organisationId, email: a.email, displayName: a.displayName, businessArea: a.businessArea, requiredBefore: false })),
    applied: false, version: org.version, highRiskAreas: org.highRiskAreas,
  };
}

/**
 * Who would newly need MFA if `businessArea` became high-risk in the organisation.
 * Changes nothing. @throws Forbidden (may require MFA nowhere), NotFound (organisation
 * outside scope), Invalid (area name)
 */
export async function previewAreaRequirement(db: Db, ctx: Ctx, input: { organisationId: string; businessArea: string }): Promise<AreaRequirement> {
  const { version: _v, highRiskAreas: _h, ...preview } = await computeArea(db, requireActor(ctx), input);
  return preview;
}

/**
 * Marks `businessArea` high-risk in the organisation (so accounts that join it later are
 * covered too), with one audit event listing the accounts that newly need MFA. An area
 * already high-risk is left alone (applied: false). @throws Forbidden, NotFound, Invalid,
 * Conflict (the affected accounts or the organisation's list changed since the preview)
 */
export async function confirmAreaRequirement(
  db: Db, ctx: Ctx, input: { organisationId: string; businessArea: string; expectedAffected?: number },
): Promise<AreaRequirement> {
  const actor = requireActor(ctx);
  return db.transaction().execute(async (trx) => {
    const { version, highRiskAreas, ...r } = await computeArea(trx, actor, input);
    if (r.alreadyHighRisk) return r;
    checkExpected(input.expectedAffected, r.affected.length);
    const to = withHighRiskArea(highRiskAreas, r.businessArea);
    if (!(await replaceHighRiskAreas(trx, r.organisation.id, version, to, ctx.now.toISOString()))) {
      throw new Conflict('The organisation\'s high-risk areas changed meanwhile. Check the new preview and confirm again.');
    }
    await recordAudit(trx, ctx, {
      action: 'mfa.require.area', organisationId: r.organisation.id, target: `organisation:${r.organisation.id}`,
      details: { businessArea: r.businessArea, highRiskAreas: { from: highRiskAreas, to }, ...auditIds(r.affected.map((a) => a.id)) },
    });
    return { ...r, applied: true };
  });
}

async function computeList(db: Db, actor: Actor, text: string): Promise<ListRequirement> {
  const { addresses, invalid } = parseAddressList(text);
  if (addresses.length + invalid.length > MAX_PASTED_ADDRESSES) {
    throw new Invalid('MFA was not required.', [`Paste at most ${MAX_PASTED_ADDRESSES.toLocaleString('en-GB')} addresses at a time.`]);
  }
  if (!addresses.length && !invalid.length) throw new Invalid('MFA was not required.', ['Enter at least one email address.']);
  // Only the actor's manage scope is searched: an address elsewhere is "not found" exactly
  // like an address that does not exist.
  const scope = authorizeRequireMfa(actor);
  const found = await withReasons(db, await findAccountsByEmails(db, scope, addresses.map((a) => a.email)));
  const byEmail = new Map(found.map((a) => [a.email, a]));
  const r: ListRequirement = { kind: 'list', affected: [], alreadyMarked: [], notFound: [], invalid, applied: false };
  for (const p of addresses) {
    const a = byEmail.get(p.email);
    if (!a) {
      r.notFound.push(p);
      continue;
    }
    const row: AffectedAccount = {
      id: a.id, organisationId: a.organisationId, email: a.email, displayName: a.displayName, businessArea: a.businessArea,
      requiredBefore: a.reasons.length > 0, line: p.line,
    };
    (a.mfaRequired ? r.alreadyMarked : r.affected).push(row);
  }
  return r;
}

/**
 * Opens the "require MFA for a list" form: only for an actor who may require MFA
 * somewhere (and, with an organisation, there).
 * @throws Forbidden (may require MFA nowhere), NotFound (organisation outside scope)
 */
export function openListRequirement(ctx: Ctx, input: { organisationId?: string }): { organisationId?: string } {
  authorizeRequireMfa(requireActor(ctx), input.organisationId);
  return { organisationId: input.organisationId };
}

/**
 * Reads a pasted list (one address per line, or separated by commas or semicolons, at
 * most 5,000) and says which accounts in the actor's organisations would be marked.
 * Changes nothing. @throws Forbidden (may require MFA nowhere), Invalid (empty or too long)
 */
export async function previewListRequirement(db: Db, ctx: Ctx, input: { text: string }): Promise<ListRequirement> {
  return computeList(db, requireActor(ctx), input.text);
}

/**
 * Marks every account of the list found in the actor's organisations as requiring MFA,
 * with one audit event per organisation touched (LAs read their own organisation's
 * events). @throws Forbidden, Invalid, Conflict (the affected accounts changed since the preview)
 */
export async function confirmListRequirement(db: Db, ctx: Ctx, input: { text: string; expectedAffected?: number }): Promise<ListRequirement> {
  const actor = requireActor(ctx);
  return db.transaction().execute(async (trx) => {
    const r = await computeList(trx, actor, input.text);
    checkExpected(input.expectedAffected, r.affected.length);
    if (!r.affected.length) return r;
    await markMfaRequired(trx, r.affected.map((a) => a.id), ctx.now.toISOString());
    const byOrg = new Map<string, string[]>();
    for (const a of r.affected) byOrg.set(a.organisationId, [...(byOrg.get(a.organisationId) ?? []), a.id]);
    for (const [organisationId, ids] of byOrg) {
      await recordAudit(trx, ctx, {
        action: 'mfa.require.accounts', organisationId,
        details: { ...auditIds(ids), listTotal: r.affected.length, alreadyMarked: r.alreadyMarked.length, notFound: r.notFound.length, invalid: r.invalid.length },
      });
    }
    return { ...r, applied: true };
  });
}

/**
 * Lifts an account's individual MFA mark (other reasons, such as a high-risk area, still
 * apply). @returns whether a mark was lifted @throws Forbidden, NotFound (outside scope)
 */
export async function unmarkAccountFor(db: Db, ctx: Ctx, accountId: string): Promise<boolean> {
  const actor = requireActor(ctx);
  const scope = authorizeRequireMfa(actor);
  const account = await findAccount(db, accountId, scope);
  if (!account) throw new NotFound();
  authorizeManageAccount(actor, { ...account, roles: await rolesOf(db, account.id) });
  return db.transaction().execute(async (trx) => {
    const changed = await unmarkMfaRequired(trx, account.id, ctx.now.toISOString());
    if (changed) await recordAudit(trx, ctx, { action: 'mfa.unmark', organisationId: account.organisationId, target: `account:${account.id}` });
    return changed;
  });
}
