import { randomUUID } from 'node:crypto';
import { recordAudit } from '../audit/audit.commands.js';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { Forbidden, Invalid, NotFound, Unauthenticated } from '../platform/errors/errors.js';
import { recordMobileChange } from '../phones/mobile-change.js';
import { DEFAULT_MOBILE_RULE, maskMobile, type MobileRule, normaliseOptionalMobile } from '../phones/phones.js';
import { generateOneTimePassword, hashPassword } from '../signin/password.js';
import {
  type Account, DEFAULT_HIGH_RISK_AREAS, type Organisation, type Role, type RoleGrant, grantsFor, isRole, isValidEmail, normaliseEmail,
} from './directory.js';
import {
  accountReadScope, authorizeList, authorizeManageAccount, authorizePlatformAdmin, authorizeRecord, canManageAccount, organisationReadScope,
} from './directory.policy.js';
import {
  type AccountQuery, countAccounts, updateAccountDetails, findAccount, findAccountByEmail, findOrganisation, findOrganisationByCode, insertAccount, listAccounts,
  listOrganisations, replaceOrganisationDomains, replaceRoles, rolesOf, upsertOrganisation,
} from './directory.repo.js';

function requireActor(ctx: Ctx): NonNullable<Ctx['actor']> {
  if (!ctx.actor) throw new Unauthenticated();
  return ctx.actor;
}

/** Organisations the actor may see. @throws Forbidden when they may see none */
export async function listOrganisationsFor(db: Db, ctx: Ctx, q: { search?: string; afterName?: string; limit?: number }): Promise<Organisation[]> {
  const scope = organisationReadScope(requireActor(ctx));
  authorizeList(scope);
  return listOrganisations(db, scope, { ...q, limit: clampLimit(q.limit) });
}

/** One organisation, if the actor may see it. @throws NotFound otherwise (indistinguishable from absent) */
export async function getOrganisationFor(db: Db, ctx: Ctx, id: string): Promise<Organisation & { accountCount: number }> {
  const scope = organisationReadScope(requireActor(ctx));
  authorizeRecord(scope, id);
  const org = await findOrganisation(db, id, scope);
  if (!org) throw new NotFound();
  return { ...org, accountCount: await countAccounts(db, scope, org.id) };
}

/** A page of accounts in the actor's scope. @throws Forbidden when they may see none */
export async function listAccountsFor(db: Db, ctx: Ctx, q: Omit<AccountQuery, 'limit'> & { limit?: number }): Promise<Account[]> {
  const scope = accountReadScope(requireActor(ctx));
  authorizeList(scope);
  if (q.organisationId) authorizeRecord(scope, q.organisationId);
  return listAccounts(db, scope, { ...q, limit: clampLimit(q.limit) });
}

/** One account with its roles, if in scope; users may always read their own. @throws NotFound */
export async function getAccountFor(db: Db, ctx: Ctx, id: string): Promise<Account & { roles: RoleGrant[] }> {
  const actor = requireActor(ctx);
  const scope = actor.accountId === id ? ({ all: true } as const) : accountReadScope(actor);
  const account = await findAccount(db, id, scope);
  if (!account) throw new NotFound();
  return { ...account, roles: await rolesOf(db, account.id) };
}

/**
 * Every account in the actor's scope matching the filters, a page at a time, for CSV
 * export. The export itself is audited (who took which list), before the first row.
 * @throws Forbidden when the actor may see no accounts, NotFound for an organisation out of scope
 */
export async function* exportAccountsFor(db: Db, ctx: Ctx, q: { search?: string; organisationId?: string }): AsyncGenerator<Account[]> {
  const actor = requireActor(ctx);
  const scope = accountReadScope(actor);
  authorizeList(scope);
  if (q.organisationId) authorizeRecord(scope, q.organisationId);
  await db.transaction().execute((trx) =>
    recordAudit(trx, ctx, { action: 'directory.accounts.export', organisationId: q.organisationId ?? null, details: { search: q.search ?? null, organisationId: q.organisationId ?? null } }),
  );
  let after: string | undefined;
  for (;;) {
    const page = await listAccounts(db, scope, { ...q, afterEmail: after, limit: 1000 });
    if (page.length) yield page;
    if (page.length < 1000) return;
    after = page[page.length - 1]!.email;
  }
}

export interface AccountEdit {
  displayName: string;
  businessArea: string;
  /** When given: the new mobile number ('' removes it), checked by the UK-mobile rule. */
  mobile?: string;
}

/**
 * Changes an account's display name, business area (which decides whether MFA is
 * required) and mobile number (the one UK-mobile rule; stored in E.164; the status is left
 * alone: an account disabled for its number is re-enabled by the remediation step).
 * LAs for ordinary accounts of their organisations, platform admins any account. A new
 * number is recorded as changed by someone else, and the account is told. The audit event
 * keeps only the last digits of numbers.
 * @throws NotFound outside read scope, Forbidden when readable but not manageable, Invalid
 */
export async function updateAccountFor(
  db: Db, ctx: Ctx, id: string, edit: AccountEdit, settings: { mobileRule?: MobileRule; secretKey: Buffer },
): Promise<Account> {
  const actor = requireActor(ctx);
  const mobileRule = settings.mobileRule ?? DEFAULT_MOBILE_RULE;
  const account = await findAccount(db, id, accountReadScope(actor));
  if (!account) throw new NotFound();
  authorizeManageAccount(actor, { ...account, roles: await rolesOf(db, account.id) });
  const displayName = edit.displayName.trim();
  const businessArea = edit.businessArea.trim();
  const problems: string[] = [];
  if (!displayName) problems.push('Enter a display name.');
  if (displayName.length > 200) problems.push('Display name must be 200 characters or fewer.');
  if (businessArea.length > 100) problems.push('Business area must be 100 characters or fewer.');
  if (/[\u0000-\u001f\u007f]/.test(displayName + businessArea)) problems.push('Remove control characters.');
  const phone = edit.mobile === undefined ? { ok: true as const, value: account.mobile } : normaliseOptionalMobile(edit.mobile, mobileRule);
  if (!phone.ok) problems.push(phone.message);
  if (problems.length || !phone.ok) throw new Invalid('The account was not changed.', problems);
  const mobile = phone.value;
  const changed: Record<string, { from: string | null; to: string | null }> = {};
  if (displayName !== account.displayName) changed.displayName = { from: account.displayName, to: displayName };
  if (businessArea !== account.businessArea) changed.businessArea = { from: account.businessArea, to: businessArea };
  if (mobile !== account.mobile) changed.mobile = { from: maskMobile(account.mobile), to: maskMobile(mobile) };
  if (!Object.keys(changed).length) return account;
  await db.transaction().execute(async (trx) => {
    await updateAccountDetails(trx, id, { displayName, businessArea, now: ctx.now.toISOString() });
    if (changed.mobile) await recordMobileChange(trx, ctx, settings.secretKey, account, mobile, { verified: false });
    await recordAudit(trx, ctx, { action: 'account.update', organisationId: account.organisationId, target: `account:${id}`, details: changed });
  });
  return { ...account, displayName, businessArea, mobile };
}

/** Whether the actor may change this account (to show or hide the Change link). */
export function canManage(ctx: Ctx, account: Account & { roles: readonly RoleGrant[] }): boolean {
  return ctx.actor !== null && canManageAccount(ctx.actor, account);
}

function clampLimit(limit: number | undefined): number {
  return Math.min(Math.max(Math.trunc(limit ?? 50), 1), 200);
}

export const PLATFORM_ORG_CODE = 'PLATFORM';

/**
 * Makes sure the platform's own organisation exists (staff accounts of the national team
 * live in it). Idempotent. @returns its id
 */
export async function ensurePlatformOrganisation(db: Db, ctx: Ctx, platformDomain: string): Promise<string> {
  const existing = await findOrganisationByCode(db, PLATFORM_ORG_CODE);
  if (existing) return existing.id;
  return db.transaction().execute(async (trx) => {
    const { id } = await upsertOrganisation(trx, {
      id: randomUUID(), code: PLATFORM_ORG_CODE, name: 'Platform operations', highRiskAreas: DEFAULT_HIGH_RISK_AREAS,
      laContact: `helpdesk@${platformDomain}`, now: ctx.now.toISOString(),
    });
    await replaceOrganisationDomains(trx, id, [platformDomain.toLowerCase()]);
    await recordAudit(trx, ctx, { action: 'organisation.create', organisationId: id, target: `organisation:${id}`, details: { code: PLATFORM_ORG_CODE } });
    return id;
  });
}

export interface CreatedAccount {
  account: Account;
  /** Set when a new account was created: its one-time password, shown once. */
  oneTimePassword?: string;
}

/**
 * Creates an account with a role and a one-time password that must be changed at first
 * sign-in, or grants the role to an existing account (its password is left alone).
 * @throws Invalid, NotFound (organisation), Forbidden
 */
export async function createAdminAccount(
  db: Db, ctx: Ctx, input: { email: string; role: string; organisationCode?: string; displayName?: string },
): Promise<CreatedAccount> {
  authorizePlatformAdmin(ctx.actor);
  const email = normaliseEmail(input.email);
  if (!isValidEmail(email)) throw new Invalid(`"${input.email}" is not a valid email address.`);
  if (!isRole(input.role)) throw new Invalid(`"${input.role}" is not a role. Roles: user, local-admin, helpdesk, csoc, platform-admin.`);
  const role: Role = input.role;
  const org = await findOrganisationByCode(db, input.organisationCode ?? PLATFORM_ORG_CODE);
  if (!org) throw new NotFound(`No organisation with code ${input.organisationCode ?? PLATFORM_ORG_CODE} (run \`postwarden init\` first)`);
  const existing = await findAccountByEmail(db, email);
  const now = ctx.now.toISOString();
  if (existing) {
    const roles = await rolesOf(db, existing.id);
    const grant = grantsFor([role], existing.organisationId)[0]!;
    if (!roles.some((g) => g.role === grant.role && g.scope === grant.scope)) {
      await db.transaction().execute(async (trx) => {
        await replaceRoles(trx, existing.id, [...roles, grant]);
        await recordAudit(trx, ctx, { action: 'account.role.grant', organisationId: existing.organisationId, target: `account:${existing.id}`, details: { role } });
      });
    }
    const { passwordHash: _omit, ...account } = existing;
    return { account };
  }
  const oneTimePassword = generateOneTimePassword();
  const id = randomUUID();
  const passwordHash = await hashPassword(oneTimePassword);
  await db.transaction().execute(async (trx) => {
    await insertAccount(trx, {
      id, organisationId: org.id, email, displayName: input.displayName?.trim() || email.split('@')[0]!, businessArea: 'Platform',
      mobile: null, passwordHash, mustChangePassword: true, now,
    });
    await replaceRoles(trx, id, grantsFor(role === 'user' ? ['user'] : ['user', role], org.id));
    await recordAudit(trx, ctx, { action: 'account.create', organisationId: org.id, target: `account:${id}`, details: { role, via: 'admin-create' } });
  });
  const account = await findAccount(db, id, { all: true });
  return { account: account!, oneTimePassword };
}
