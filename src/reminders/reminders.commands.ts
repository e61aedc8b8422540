import { recordAudit } from '../audit/audit.commands.js';
import { accountManageScope, accountReadScope, inScope } from '../directory/directory.policy.js';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { Invalid, NotFound, Unauthenticated } from '../platform/errors/errors.js';
import { expiryOf, parseLifetime } from './reminders.js';
import { organisationLifetime, passwordPolicyOf, setOrganisationLifetime } from './reminders.repo.js';

/**
 * An organisation's password lifetime, for those who may see the organisation.
 * @throws Unauthenticated; NotFound outside the actor's scope (like a missing one)
 */
export async function passwordPolicyFor(db: Db, ctx: Ctx, organisationId: string): Promise<{ id: string; name: string; lifetimeDays: number | null; canChange: boolean }> {
  if (!ctx.actor) throw new Unauthenticated();
  const org = await organisationLifetime(db, organisationId, accountReadScope(ctx.actor));
  if (!org) throw new NotFound();
  return { ...org, canChange: inScope(accountManageScope(ctx.actor), organisationId) };
}

/**
 * Sets an organisation's password lifetime (empty = expiry off), audited. Platform admins
 * for any organisation, LAs for theirs. Reminders follow the new expiry dates from the
 * next run; a password already past the new lifetime must be changed at next sign-in.
 * @throws Unauthenticated; NotFound outside scope; Invalid with the problem
 */
export async function setPasswordLifetimeFor(db: Db, ctx: Ctx, organisationId: string, input: string): Promise<number | null> {
  if (!ctx.actor) throw new Unauthenticated();
  const parsed = parseLifetime(input);
  if ('problems' in parsed) throw new Invalid('The password lifetime was not changed.', parsed.problems);
  await db.transaction().execute(async (trx) => {
    const org = await organisationLifetime(trx, organisationId, accountManageScope(ctx.actor!));
    if (!org) throw new NotFound();
    await setOrganisationLifetime(trx, organisationId, parsed.lifetimeDays, ctx.now.toISOString());
    await recordAudit(trx, ctx, { action: 'organisation.password_lifetime', organisationId, target: `organisation:${organisationId}`, details: { from: org.lifetimeDays, to: parsed.lifetimeDays } });
  });
  return parsed.lifetimeDays;
}

/** When the signed-in account's password expires (null: never, or no password). */
export async function ownPasswordExpiry(db: Db, ctx: Ctx): Promise<Date | null> {
  if (!ctx.actor) throw new Unauthenticated();
  const p = await passwordPolicyOf(db, ctx.actor.accountId);
  return p ? expiryOf(p.passwordChangedAt, p.lifetimeDays) : null;
}
