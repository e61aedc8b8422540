import type { Account } from '../directory/directory.js';
import { primaryRole, ROLE_LABELS } from '../directory/directory.js';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { enqueueNotification } from '../platform/notify/outbox.js';
import { setMobile } from './phones.repo.js';

/**
 * The one place a mobile number changes after an account exists (LA or admin edit, API,
 * remediation, the account's own profile): the number is written with when and by whom,
 * and the account is told by email, and by text to the previous number where there was
 * one, so that a number pointed at someone else's phone does not go unnoticed.
 */

export interface MobileChange {
  /** The account itself, after passing MFA: the new number may serve as a second factor at once. */
  verified: boolean;
  /** Whether the change also re-enabled the account (remediation writes the number itself). */
  written?: boolean;
}

/** Who made a change, in words for the account holder. */
export function changedByText(ctx: Ctx, account: Pick<Account, 'id'>): string {
  if (!ctx.actor) return 'a platform operator';
  if (ctx.actor.accountId === account.id) return 'you';
  return `${ctx.actor.email} (${ROLE_LABELS[primaryRole(ctx.actor.roles)]})`;
}

/**
 * Writes the new number (unless `change.written`) and queues the notices, in `trx`.
 * @throws Error when the secret key is missing (the outbox encrypts payloads)
 */
export async function recordMobileChange(
  trx: Db, ctx: Ctx, secretKey: Buffer, account: Pick<Account, 'id' | 'email' | 'displayName' | 'organisationId' | 'mobile'>, to: string | null, change: MobileChange,
): Promise<void> {
  const at = ctx.now.toISOString();
  if (!change.written) await setMobile(trx, account.id, to, at, change.verified);
  const data = {
    displayName: account.displayName, removed: to === null, lastDigits: to ? to.slice(-3) : '', changedBy: changedByText(ctx, account),
    byOther: ctx.actor?.accountId !== account.id, at,
  };
  await enqueueNotification(trx, secretKey, ctx.now, {
    channel: 'email', template: 'phones/mobile-changed', to: account.email, accountId: account.id, organisationId: account.organisationId, data,
  });
  if (account.mobile && account.mobile !== to) {
    await enqueueNotification(trx, secretKey, ctx.now, {
      channel: 'sms', template: 'phones/mobile-changed', to: account.mobile, accountId: account.id, organisationId: account.organisationId, data,
    });
  }
}
