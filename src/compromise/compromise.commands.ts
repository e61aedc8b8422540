import { recordAudit } from '../audit/audit.commands.js';
import { getAccountFor } from '../directory/directory.commands.js';
import { normaliseEmail } from '../directory/directory.js';
import { findAccount, findAccountByEmail, findOrganisation, localAdminsOf } from '../directory/directory.repo.js';
import type { Config } from '../platform/config/config.js';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { Conflict, Invalid, NotFound } from '../platform/errors/errors.js';
import { newId } from '../platform/ids.js';
import { enqueueNotification } from '../platform/notify/outbox.js';
import { devicesRecentlyUsed } from '../signin/sessions.commands.js';
import { revokeAccountApiTokens, revokeAccountSessions } from '../signin/signin.repo.js';
import { checkDismissInput, checkMarkInput, deviceWindowStart, formatWhen } from './compromise.js';
import { authorizeMark } from './compromise.policy.js';
import {
  confirmOpenSuspicionsOf, countOpenSuspicions, findOpenCaseOfAccount, flagAccountCompromised, findSuspicion, invalidatePassword, insertCase, insertCaseDevices, insertCaseEvent,
  listOpenSuspicions, reviewSuspicion,
} from './compromise.repo.js';
import { actorLabel } from './compromise.signals.js';

/** What marking and escalation need of the configuration. */
export type CompromiseConfig = Pick<Config, 'secretKey' | 'compromiseEscalationHours' | 'compromiseReminderHours'>;

export interface MarkRequest {
  /** The account, by id or by address (one of the two). */
  accountId?: string;
  email?: string;
  reason: string;
  evidenceRef: string;
  /** The suspicion being confirmed, when marking from the review queue. */
  suspicionId?: string;
  /**
   * Also make the current password useless: the user then needs a verified reset by the
   * helpdesk before signing in. Use it when the attacker may hold the password and the
   * account has no MFA factor yet (they could otherwise sign in and enrol their own).
   */
  invalidatePassword?: boolean;
}

export interface MarkResult {
  caseId: string;
  accountId: string;
  sessions: number;
  tokens: number;
  devices: number;
  notified: number;
}

/**
 * Marks an account compromised and opens its case, all in ONE transaction: every session
 * and API token revoked, a password change required, `compromised_at` set (which makes MFA
 * required at the next sign-in, and turns off self-service reset; existing factors are
 * kept), the devices of the 30 days before recorded, open suspicions of the account
 * confirmed, the organisation's Local Administrators notified, and the audit event written.
 * Platform admins, CSOC analysts and the CLI.
 * @throws Forbidden, Invalid (reason and evidence reference are required), NotFound (account
 *   or suspicion), Conflict (the account already has an open case, or the suspicion was reviewed)
 */
export async function markCompromised(db: Db, ctx: Ctx, config: CompromiseConfig, req: MarkRequest): Promise<MarkResult> {
  authorizeMark(ctx.actor);
  const { value, problems } = checkMarkInput(req);
  if (problems.length) throw new Invalid('The account was not marked compromised.', problems);
  const account = req.accountId
    ? await findAccount(db, req.accountId, { all: true })
    : req.email ? await findAccountByEmail(db, normaliseEmail(req.email)) : undefined;
  if (!account) throw new NotFound(req.email ? `No account ${normaliseEmail(req.email)}` : 'No such account');
  if (req.suspicionId) {
    const s = await findSuspicion(db, req.suspicionId);
    if (!s || s.account_id !== account.id) throw new NotFound('No such suspicion for this account');
  }
  const organisation = await findOrganisation(db, account.organisationId, { all: true });
  const now = ctx.now.toISOString();
  const actor = actorLabel(ctx);
  const caseId = newId(ctx.now.getTime());
  return db.transaction().execute(async (trx) => {
    const existing = await findOpenCaseOfAccount(trx, account.id);
    if (existing) throw new Conflict(`${account.email} is already marked compromised (case opened ${formatWhen(existing.flaggedAt)}).`);
    const sessions = await revokeAccountSessions(trx, account.id, now);
    const tokens = await revokeAccountApiTokens(trx, account.id, now);
    await flagAccountCompromised(trx, account.id, now);
    if (req.invalidatePassword) await invalidatePassword(trx, account.id, now);
    const devices = await devicesRecentlyUsed(trx, account.id, deviceWindowStart(ctx.now), new Date(ctx.now.getTime() + 1));
    await insertCase(trx, {
      id: caseId, account_id: account.id, organisation_id: account.organisationId, status: 'open', flagged_at: now, reason: value.reason,
      evidence_ref: value.evidenceRef, opened_by_id: ctx.actor?.accountId ?? null, opened_by: actor, suspicion_id: req.suspicionId ?? null,
      closed_at: null, closed_by: null, escalated_at: null, last_reminder_at: null, reminders: 0,
    });
    await insertCaseDevices(trx, caseId, devices.map((d) => ({ ...d, id: newId(ctx.now.getTime()) })));
    if (req.suspicionId) {
      const won = await reviewSuspicion(trx, req.suspicionId, { status: 'confirmed', reviewedBy: actor, at: now, note: value.reason, caseId });
      if (!won) throw new Conflict('This suspicion has already been reviewed.');
    }
    await confirmOpenSuspicionsOf(trx, account.id, { reviewedBy: actor, at: now, caseId });
    await insertCaseEvent(trx, {
      id: newId(ctx.now.getTime()), caseId, at: now, kind: 'opened', actor,
      details: { reason: value.reason, evidenceRef: value.evidenceRef, sessions, tokens, devices: devices.length, passwordInvalidated: req.invalidatePassword === true },
    });
    const las = (await localAdminsOf(trx, account.organisationId)).filter((la) => la.status === 'active' && la.id !== account.id);
    for (const la of las) {
      await enqueueNotification(trx, config.secretKey, ctx.now, {
        channel: 'email', template: 'compromise/case-opened', to: la.email, accountId: la.id, organisationId: account.organisationId,
        dedupeKey: `compromise-opened:${caseId}:${la.id}`,
        data: {
          laName: la.displayName, displayName: account.displayName, email: account.email, organisationName: organisation?.name ?? '',
          reason: value.reason, flaggedAt: formatWhen(now), devices: devices.length,
        },
      });
    }
    await insertCaseEvent(trx, { id: newId(ctx.now.getTime()), caseId, at: now, kind: 'notified', actor: 'system', details: { recipients: las.map((l) => l.email).join(', ') } });
    await recordAudit(trx, ctx, {
      action: 'account.compromised.mark', organisationId: account.organisationId, target: `account:${account.id}`,
      details: {
        caseId, reason: value.reason, evidenceRef: value.evidenceRef, sessions, tokens, devices: devices.length, notified: las.length, suspicionId: req.suspicionId ?? null,
        passwordInvalidated: req.invalidatePassword === true,
      },
    });
    return { caseId, accountId: account.id, sessions, tokens, devices: devices.length, notified: las.length };
  });
}

/** The open case of the account with this address, if any (to link to it). @throws Forbidden unless CSOC or platform admin */
export async function openCaseIdOfEmailFor(db: Db, ctx: Ctx, email: string): Promise<string | undefined> {
  authorizeMark(ctx.actor);
  const account = await findAccountByEmail(db, normaliseEmail(email));
  return account ? (await findOpenCaseOfAccount(db, account.id))?.id : undefined;
}

export interface SuspicionView {
  id: string;
  accountId: string;
  email: string;
  source: string;
  detail: string;
  raisedAt: string;
  alreadyCompromised: boolean;
}

/** The CSOC review queue: open suspicions, oldest first. @throws Forbidden unless CSOC or platform admin */
export async function listSuspicionsFor(db: Db, ctx: Ctx, limit = 200): Promise<SuspicionView[]> {
  authorizeMark(ctx.actor);
  return (await listOpenSuspicions(db, limit)).map((s) => ({
    id: s.id, accountId: s.account_id, email: s.email, source: s.source, detail: s.detail, raisedAt: formatWhen(s.raised_at), alreadyCompromised: s.compromised_at !== null,
  }));
}

/** How many suspicions wait for review (0 for actors who may not review). */
export async function countSuspicionsFor(db: Db, ctx: Ctx): Promise<number> {
  try {
    authorizeMark(ctx.actor);
  } catch {
    return 0;
  }
  return countOpenSuspicions(db);
}

/** One open suspicion, for the "confirm" form. @throws Forbidden, NotFound (also when already reviewed) */
export async function getSuspicionFor(db: Db, ctx: Ctx, id: string): Promise<SuspicionView> {
  authorizeMark(ctx.actor);
  const s = await findSuspicion(db, id);
  if (!s || s.status !== 'open') throw new NotFound();
  const account = await findAccount(db, s.account_id, { all: true });
  if (!account) throw new NotFound();
  return { id: s.id, accountId: s.account_id, email: account.email, source: s.source, detail: s.detail, raisedAt: formatWhen(s.raised_at), alreadyCompromised: account.compromisedAt !== null };
}

/**
 * Dismisses a suspicion with a note, audited (`compromise.suspicion.dismiss`).
 * @throws Forbidden, Invalid (note required), NotFound, Conflict (already reviewed)
 */
export async function dismissSuspicionFor(db: Db, ctx: Ctx, id: string, note: string): Promise<void> {
  authorizeMark(ctx.actor);
  const { value, problems } = checkDismissInput(note);
  if (problems.length) throw new Invalid('The suspicion was not dismissed.', problems);
  const s = await findSuspicion(db, id);
  if (!s) throw new NotFound();
  await db.transaction().execute(async (trx) => {
    const won = await reviewSuspicion(trx, id, { status: 'dismissed', reviewedBy: actorLabel(ctx), at: ctx.now.toISOString(), note: value, caseId: null });
    if (!won) throw new Conflict('This suspicion has already been reviewed.');
    await recordAudit(trx, ctx, { action: 'compromise.suspicion.dismiss', organisationId: s.organisation_id, target: `account:${s.account_id}`, details: { suspicionId: id, note: value } });
  });
}

export interface MarkFormValues {
  email: string;
  reason: string;
  evidenceRef: string;
  suspicionId: string;
  invalidatePassword: boolean;
}

/**
 * The mark form, filled from the suspicion it acts on or the account it was opened from
 * (CSOC and platform admins). @throws Forbidden, NotFound
 */
export async function markFormFor(db: Db, ctx: Ctx, q: { accountId?: string; suspicionId?: string }): Promise<{ suspicion: SuspicionView | undefined; values: MarkFormValues }> {
  authorizeMark(ctx.actor);
  const suspicion = q.suspicionId ? await getSuspicionFor(db, ctx, q.suspicionId) : undefined;
  const account = q.accountId ? await getAccountFor(db, ctx, q.accountId) : undefined;
  return {
    suspicion,
    values: { email: suspicion?.email ?? account?.email ?? '', reason: suspicion ? `${suspicion.source}: ${suspicion.detail}` : '', evidenceRef: '', suspicionId: suspicion?.id ?? '', invalidatePassword: false },
  };
}
