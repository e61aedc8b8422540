import { recordAudit } from '../audit/audit.commands.js';
import type { Account, RoleGrant } from '../directory/directory.js';
import { canManage, getAccountFor } from '../directory/directory.commands.js';
import { inScope } from '../directory/directory.policy.js';
import { findAccount, findAccountByEmail, rolesOf } from '../directory/directory.repo.js';
import { factorsOf } from '../mfa/mfa.repo.js';
import { csvLine } from '../platform/csv.js';
import type { Config } from '../platform/config/config.js';
import type { Actor, Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { Conflict, Invalid, NotFound, Unauthenticated } from '../platform/errors/errors.js';
import { verifyPassword } from '../signin/password.js';
import { checkMobile, maskMobile, type MobileRule, normaliseOptionalMobile, STATUS_REASON_NON_UK_MOBILE } from './phones.js';
import { recordMobileChange } from './mobile-change.js';
import { authorizeDisabledList, authorizeManageMobile, authorizeSweep, mobileManageScope } from './phones.policy.js';
import {
  countDisabledForNonUkMobile, findRun, listDisabledForNonUkMobile, listRuns, pageItems, remediateMobile, type SweepItem, type SweepRun,
} from './phones.repo.js';

/** The rule as the configuration sets it. */
export function mobileRuleOf(config: Pick<Config, 'allowCrownDependencyMobiles'>): MobileRule {
  return { allowCrownDependencies: config.allowCrownDependencyMobiles };
}

function requireActor(ctx: Ctx): Actor {
  if (!ctx.actor) throw new Unauthenticated();
  return ctx.actor;
}

/** A running sweep whose last batch is older than this was interrupted and can be resumed. */
export const SWEEP_STALL_MS = 2 * 60_000;

export interface RunView extends SweepRun {
  organisation_code?: string | null;
  interrupted: boolean;
}

function runView<R extends SweepRun>(r: R, now: Date): R & { interrupted: boolean } {
  return { ...r, interrupted: r.status !== 'finished' && now.getTime() - Date.parse(r.updated_at) > SWEEP_STALL_MS };
}

/** Recent sweep runs, newest first. @throws Forbidden unless a platform admin */
export async function listSweepRunsFor(db: Db, ctx: Ctx): Promise<RunView[]> {
  authorizeSweep(requireActor(ctx));
  return (await listRuns(db, 50)).map((r) => runView(r, ctx.now));
}

/** One run with its first findings. @throws Forbidden, NotFound */
export async function getSweepRunFor(db: Db, ctx: Ctx, id: string, limit = 100): Promise<{ run: RunView; items: (SweepItem & { organisation_code: string })[] }> {
  authorizeSweep(requireActor(ctx));
  const run = await findRun(db, id);
  if (!run) throw new NotFound();
  return { run: runView(run, ctx.now), items: await pageItems(db, id, null, limit) };
}

export const REPORT_HEADER = ['organisation_code', 'organisation_name', 'account', 'number_as_stored', 'why', 'action'];

/**
 * The report of a run as CSV lines, streamed in pages (audited when it starts:
 * `phones.sweep.report`). Platform admins and the CLI.
 * @throws Forbidden, NotFound
 */
export async function* sweepReportFor(db: Db, ctx: Ctx, runId: string): AsyncGenerator<string> {
  authorizeSweep(ctx.actor);
  const run = await findRun(db, runId);
  if (!run) throw new NotFound();
  await db.transaction().execute((trx) => recordAudit(trx, ctx, { action: 'phones.sweep.report', organisationId: run.organisation_id, target: `sweep:${run.id}` }));
  yield csvLine(REPORT_HEADER);
  let after: string | null = null;
  for (;;) {
    const page = await pageItems(db, runId, after, 2000);
    if (page.length) yield page.map((i) => csvLine([i.organisation_code, i.organisation_name, i.email, i.mobile, i.why, i.action])).join('');
    if (page.length < 2000) return;
    after = page[page.length - 1]!.account_id;
  }
}

/** Accounts disabled for a non-UK number that the actor may fix, by address. @throws Forbidden, NotFound (organisation out of scope) */
export async function listDisabledFor(db: Db, ctx: Ctx, q: { organisationId?: string; afterEmail?: string; limit?: number }): Promise<Awaited<ReturnType<typeof listDisabledForNonUkMobile>>> {
  const scope = authorizeDisabledList(requireActor(ctx));
  if (q.organisationId && !inScope(scope, q.organisationId)) throw new NotFound();
  return listDisabledForNonUkMobile(db, scope, { ...q, limit: Math.min(Math.max(q.limit ?? 50, 1), 200) });
}

/** How many accounts the actor could fix (0 when they manage none): for the dashboard. */
export async function countDisabledFor(db: Db, ctx: Ctx): Promise<number> {
  const actor = requireActor(ctx);
  const scope = mobileManageScope(actor);
  if (!scope.all && !scope.organisationIds.length) return 0;
  return countDisabledForNonUkMobile(db, scope);
}

async function manageableAccount(db: Db, actor: Actor, accountId: string): Promise<Account> {
  const account = await findAccount(db, accountId, { all: true });
  if (!account) throw new NotFound();
  authorizeManageMobile(actor, { ...account, roles: await rolesOf(db, account.id) });
  return account;
}

/**
 * The account for the remediation form: one the actor may change (else NotFound, like a
 * missing one) that is disabled for its non-UK number (else NotFound). @throws NotFound
 */
export async function getFixableAccountFor(db: Db, ctx: Ctx, accountId: string): Promise<Account & { roles: RoleGrant[] }> {
  const account = await getAccountFor(db, ctx, accountId);
  if (!canManage(ctx, account)) throw new NotFound();
  if (account.status !== 'disabled' || account.statusReason !== STATUS_REASON_NON_UK_MOBILE) throw new NotFound();
  return account;
}

/**
 * LA remediation in one audited step: a valid UK mobile replaces the number and the
 * account disabled for its non-UK number is active again (`account.mobile.remediate`).
 * @throws NotFound, Forbidden, Invalid (the rule's plain-words refusal), Conflict (the
 *   account is not disabled for its number)
 */
export async function remediateMobileFor(db: Db, ctx: Ctx, config: Pick<Config, 'allowCrownDependencyMobiles' | 'secretKey'>, accountId: string, number: string): Promise<Account> {
  const actor = requireActor(ctx);
  const account = await manageableAccount(db, actor, accountId);
  if (account.status !== 'disabled' || account.statusReason !== STATUS_REASON_NON_UK_MOBILE) throw new Conflict('This account is not disabled for its mobile number.');
  const r = checkMobile(number, mobileRuleOf(config));
  if (!r.ok) throw new Invalid('The account was not re-enabled.', [r.message]);
  await db.transaction().execute(async (trx) => {
    if (!(await remediateMobile(trx, account.id, r.e164, ctx.now.toISOString()))) throw new Conflict('This account is not disabled for its mobile number.');
    await recordMobileChange(trx, ctx, config.secretKey, account, r.e164, { verified: false, written: true });
    await recordAudit(trx, ctx, {
      action: 'account.mobile.remediate', organisationId: account.organisationId, target: `account:${account.id}`,
      details: { mobile: { from: maskMobile(account.mobile), to: maskMobile(r.e164) }, region: r.region, status: { from: 'disabled', to: 'active' }, reason: STATUS_REASON_NON_UK_MOBILE },
    });
  });
  return (await findAccount(db, account.id, { all: true }))!;
}

/**
 * Sets or removes another account's number (LAs in their organisations, platform admins;
 * the account's status is left alone: use remediation to re-enable). Audited
 * (`account.mobile.change`, without the numbers). @returns the stored value
 * @throws NotFound, Forbidden, Invalid
 */
export async function setAccountMobileFor(
  db: Db, ctx: Ctx, config: Pick<Config, 'allowCrownDependencyMobiles' | 'secretKey'>, accountId: string, number: string | null,
): Promise<string | null> {
  const actor = requireActor(ctx);
  const account = await manageableAccount(db, actor, accountId);
  const r = normaliseOptionalMobile(number, mobileRuleOf(config));
  if (!r.ok) throw new Invalid('The mobile number was not changed.', [r.message]);
  if (r.value === account.mobile) return r.value;
  await db.transaction().execute(async (trx) => {
    await recordMobileChange(trx, ctx, config.secretKey, account, r.value, { verified: false });
    await recordAudit(trx, ctx, { action: 'account.mobile.change', organisationId: account.organisationId, target: `account:${account.id}`, details: { mobile: { from: maskMobile(account.mobile), to: maskMobile(r.value) } } });
  });
  return r.value;
}

/**
 * Sets or removes your own number, with your current password (whoever holds a session
 * must not be able to point password-reset texts at their own phone). Audited, and a
 * notice goes to your own address. @throws Unauthenticated, Invalid
 */
export async function setOwnMobile(
  db: Db, ctx: Ctx, config: Pick<Config, 'allowCrownDependencyMobiles' | 'secretKey'>, input: { number: string; currentPassword: string },
): Promise<string | null> {
  const actor = requireActor(ctx);
  const account = await findAccountByEmail(db, actor.email);
  if (!account) throw new Unauthenticated();
  const problems: string[] = [];
  const r = normaliseOptionalMobile(input.number, mobileRuleOf(config));
  if (!r.ok) problems.push(r.message);
  if (!account.passwordHash || !(await verifyPassword(account.passwordHash, input.currentPassword))) problems.push('Your current password is not correct.');
  if (problems.length || !r.ok) throw new Invalid('Your mobile number was not changed.', problems);
  if (r.value === account.mobile) return r.value;
  // A full session of an account with a factor has passed MFA: its own change is trusted.
  const verified = (await factorsOf(db, account.id)).some((f) => f.status === 'active');
  await db.transaction().execute(async (trx) => {
    await recordMobileChange(trx, ctx, config.secretKey, account, r.value, { verified });
    await recordAudit(trx, ctx, {
      action: 'account.mobile.change', organisationId: account.organisationId, target: `account:${account.id}`,
      details: { self: true, afterMfa: verified, mobile: { from: maskMobile(account.mobile), to: maskMobile(r.value) } },
    });
  });
  return r.value;
}
