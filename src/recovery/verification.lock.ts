import type { Account, Organisation } from '../directory/directory.js';
import { localAdminsOf } from '../directory/directory.repo.js';
import { csocAddress } from './recovery.config.js';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { enqueueNotification } from '../platform/notify/outbox.js';

/** Who is told of a verification lock, and of repeated self-service failures. Internal to recovery. */

export interface LockNoticeSettings {
  secretKey: Buffer;
  recoveryMaxFailures: number;
  recoveryLockMinutes: number;
  csocEmail?: string | undefined;
  platformDomain: string;
}

/**
 * Queues, in `trx`, the emails of a verification lock (once per lock): to the account's own
 * address, to the CSOC and to every active LA of its organisation, so that the lock is seen
 * by someone other than an LA who may be the one trying.
 */
export async function notifyVerificationLocked(
  trx: Db, ctx: Ctx, settings: LockNoticeSettings, account: Account, org: Organisation | undefined, lock: { until: string; channel: string },
): Promise<void> {
  const data = {
    accountName: account.displayName, accountEmail: account.email, organisationName: org?.name ?? '', failures: settings.recoveryMaxFailures,
    minutes: settings.recoveryLockMinutes, until: lock.until, channel: lock.channel,
  };
  const send = (template: string, to: string, accountId: string | null, who: string, extra: Record<string, unknown> = {}): Promise<string | null> =>
    enqueueNotification(trx, settings.secretKey, ctx.now, {
      channel: 'email', template, to, accountId, organisationId: account.organisationId, data: { ...data, ...extra },
      dedupeKey: `recovery-lock:${account.id}:${lock.until}:${who}`,
    });
  await send('recovery/verification-locked-account', account.email, account.id, 'account');
  await send('recovery/verification-locked-csoc', csocAddress(settings), null, 'csoc');
  for (const la of await localAdminsOf(trx, account.organisationId)) {
    if (la.status === 'active' && la.id !== account.id) await send('recovery/verification-locked', la.email, la.id, la.id, { laName: la.displayName });
  }
}

/**
 * Queues, in `trx`, the email to every active LA of the account's organisation that
 * self-service failed `failures` times for it in the window that started at `windowStartedAt`
 * (once per window). Self-service does not lock the console: this is a warning only.
 */
export async function notifySelfServiceFailures(
  trx: Db, ctx: Ctx, settings: { secretKey: Buffer; recoverySelfServiceWindowMinutes: number }, account: Account, org: Organisation | undefined,
  counted: { failures: number; windowStartedAt: string },
): Promise<void> {
  for (const la of await localAdminsOf(trx, account.organisationId)) {
    if (la.status !== 'active' || la.id === account.id) continue;
    await enqueueNotification(trx, settings.secretKey, ctx.now, {
      channel: 'email', template: 'recovery/self-service-failures', to: la.email, accountId: la.id, organisationId: account.organisationId,
      data: {
        laName: la.displayName, accountName: account.displayName, accountEmail: account.email, organisationName: org?.name ?? '',
        failures: counted.failures, minutes: settings.recoverySelfServiceWindowMinutes, since: counted.windowStartedAt,
      },
      dedupeKey: `recovery-self-service:${account.id}:${counted.windowStartedAt}:${la.id}`,
    });
  }
}
