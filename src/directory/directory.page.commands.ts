import { openCaseOfAccountFor } from '../compromise/compromise.case.commands.js';
import { formatWhen } from '../compromise/compromise.js';
import { canMarkCompromised } from '../compromise/compromise.policy.js';
import { STATUS_REASON_NON_UK_MOBILE } from '../phones/phones.js';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { NotFound } from '../platform/errors/errors.js';
import { canVerifyAccount, reviewReadScope } from '../recovery/recovery.policy.js';
import { accountSessionsView } from '../signin/sessions.commands.js';
import { type Account, type Organisation, ROLE_LABELS, type RoleGrant } from './directory.js';
import { canManage, getAccountFor, getOrganisationFor } from './directory.commands.js';
import { whyReadOnly } from './directory.policy.js';

/**
 * What the organisation and account pages show, each loaded by one command: the record in
 * the actor's scope and what the actor may do with it (from the policies that own each rule).
 */

/** Status reasons in words, for the account page. */
const STATUS_REASON_TEXT: Record<string, string> = { [STATUS_REASON_NON_UK_MOBILE]: 'the registered mobile number is not a UK mobile' };

/** One organisation, and whether the actor may open its settings and reviews (LAs of it, platform admins). @throws NotFound, Forbidden */
export async function organisationPageFor(db: Db, ctx: Ctx, id: string): Promise<{ org: Organisation; manages: boolean }> {
  const org = await getOrganisationFor(db, ctx, id);
  const scope = reviewReadScope(ctx.actor!);
  return { org, manages: scope.all || scope.organisationIds.includes(org.id) };
}

/**
 * The account page: the account, its organisation, what the actor may do with it, its open
 * compromise case and its sessions (with the result of a revocation, `revoked`).
 * @throws NotFound, Forbidden
 */
export async function accountPageFor(db: Db, ctx: Ctx, id: string, revoked: string | undefined): Promise<Record<string, unknown>> {
  const account = await getAccountFor(db, ctx, id);
  const organisation = await getOrganisationFor(db, { ...ctx }, account.organisationId).catch(() => undefined);
  const canEdit = canManage(ctx, account);
  const readOnlyReason = ctx.actor && whyReadOnly(ctx.actor, account);
  return {
    account, organisation, roleLabels: account.roles.map((g) => ROLE_LABELS[g.role]), canEdit, readOnlyReason,
    canVerify: ctx.actor !== null && canVerifyAccount(ctx.actor, account),
    statusReasonText: account.statusReason ? STATUS_REASON_TEXT[account.statusReason] ?? account.statusReason : null,
    canFixMobile: canEdit && account.status === 'disabled' && account.statusReason === STATUS_REASON_NON_UK_MOBILE,
    compromiseCase: await openCaseOfAccountFor(db, ctx, account).then((c) => c && { id: c.id, flaggedAtText: formatWhen(c.flaggedAt) }),
    canMarkCompromised: account.compromisedAt === null && canMarkCompromised(ctx.actor),
    ...(await accountSessionsView(db, ctx, account, revoked)),
  };
}

/** The account for its edit form: one the actor may change (else NotFound, like a missing one). @throws NotFound */
export async function getEditableAccountFor(db: Db, ctx: Ctx, id: string): Promise<Account & { roles: RoleGrant[] }> {
  const account = await getAccountFor(db, ctx, id);
  if (!canManage(ctx, account)) throw new NotFound();
  return account;
}
