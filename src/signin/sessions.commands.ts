import { recordAudit } from '../audit/audit.commands.js';
import type { Account } from '../directory/directory.js';
import { accountReadScope } from '../directory/directory.policy.js';
import { findAccount, rolesOf } from '../directory/directory.repo.js';
import type { Actor, Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { Invalid, NotFound, Unauthenticated } from '../platform/errors/errors.js';
import {
  type DeviceUse, describeUserAgent, formatTime, groupDevices, OUTCOME_TEXT, shortDeviceId, STEP_TEXT, type SigninEventRow,
} from './history.js';
import { sessionIsLive } from './signin.js';
import { listLiveSessions, liveApiTokensOf, revokeAccountApiTokens, revokeAccountSessions, revokeSession, type SessionRow } from './signin.repo.js';
import { authorizeRevokeAccountSessions, canReadSigninHistory } from './sessions.policy.js';
import { listSigninEvents } from './sessions.repo.js';

/** How far back history pages and "devices recently used" look. */
export const HISTORY_DAYS = 30;
const DAY_MS = 86_400_000;
/** Enough for any person's month; a cap so a scripted attack cannot make one page huge. */
const HISTORY_PAGE_LIMIT = 200;
const DEVICE_EVENTS_LIMIT = 10_000;

function requireActor(ctx: Ctx): Actor {
  if (!ctx.actor) throw new Unauthenticated();
  return ctx.actor;
}

/** One of your sessions, ready to show. */
export interface SessionView {
  id: string;
  device: string;
  browser: string;
  ip: string;
  createdAt: string;
  lastSeenAt: string;
  current: boolean;
  /** Password given, second factor not yet passed: worth noticing if it was not you. */
  pending: boolean;
}

/** A line of sign-in history, ready to show. */
export interface HistoryView {
  at: string;
  step: string;
  outcome: string;
  failed: boolean;
  ip: string;
  device: string;
  browser: string;
}

export interface DeviceView extends DeviceUse {
  device: string;
  browser: string;
  firstSeenText: string;
  lastSeenText: string;
}

/** Live sessions of the acting account (idle ones are already dead, so not listed). */
async function ownLiveSessions(db: Db, actor: Actor, now: Date, idleMinutes: number): Promise<SessionRow[]> {
  return (await listLiveSessions(db, actor.accountId, now.toISOString())).filter((s) => sessionIsLive(s, now, idleMinutes));
}

/** The acting account's live sessions, the current one marked. @throws Unauthenticated */
export async function listOwnSessions(db: Db, ctx: Ctx, opts: { currentSessionId: string; idleMinutes: number }): Promise<SessionView[]> {
  const actor = requireActor(ctx);
  return (await ownLiveSessions(db, actor, ctx.now, opts.idleMinutes)).map((s) => ({
    id: s.id, device: shortDeviceId(s.deviceId), browser: describeUserAgent(s.userAgent), ip: s.ip || 'Unknown',
    createdAt: formatTime(s.createdAt), lastSeenAt: formatTime(s.lastSeenAt), current: s.id === opts.currentSessionId, pending: s.stage !== 'full',
  }));
}

/**
 * Ends one other session of the acting account, audited. Only the account's own live
 * sessions can be named: any other id (another account's, revoked, unknown) is NotFound
 * and changes nothing.
 * @throws NotFound, Invalid for the current session (that is what "Sign out" is for)
 */
export async function revokeOwnSession(db: Db, ctx: Ctx, input: { currentSessionId: string; sessionId: string; idleMinutes: number }): Promise<void> {
  const actor = requireActor(ctx);
  const session = (await ownLiveSessions(db, actor, ctx.now, input.idleMinutes)).find((s) => s.id === input.sessionId);
  if (!session) throw new NotFound();
  if (session.id === input.currentSessionId) throw new Invalid('Use "Sign out" to end the session you are using.');
  await db.transaction().execute(async (trx) => {
    await revokeSession(trx, session.id, ctx.now.toISOString());
    await recordAudit(trx, ctx, {
      action: 'session.revoke', organisationId: actor.organisationId, target: `account:${actor.accountId}`,
      details: { device: shortDeviceId(session.deviceId), ip: session.ip },
    });
  });
}

/** Ends every session of the acting account but the current one, audited; returns how many. @throws Unauthenticated */
export async function revokeOtherOwnSessions(db: Db, ctx: Ctx, currentSessionId: string): Promise<number> {
  const actor = requireActor(ctx);
  return db.transaction().execute(async (trx) => {
    const count = await revokeAccountSessions(trx, actor.accountId, ctx.now.toISOString(), currentSessionId);
    await recordAudit(trx, ctx, { action: 'session.revoke.others', organisationId: actor.organisationId, target: `account:${actor.accountId}`, details: { sessions: count } });
    return count;
  });
}

/** The acting account's sign-in attempts of the last 30 days, newest first (at most 200). @throws Unauthenticated */
export async function listOwnSigninHistory(db: Db, ctx: Ctx): Promise<HistoryView[]> {
  const actor = requireActor(ctx);
  const from = new Date(ctx.now.getTime() - HISTORY_DAYS * DAY_MS).toISOString();
  const to = new Date(ctx.now.getTime() + 1).toISOString();
  const events = await listSigninEvents(db, actor.accountId, { from, to }, { limit: HISTORY_PAGE_LIMIT });
  return events.map(historyView);
}

function historyView(e: SigninEventRow): HistoryView {
  return {
    at: formatTime(e.at), step: STEP_TEXT[e.step] ?? e.step, outcome: OUTCOME_TEXT[e.outcome] ?? e.outcome, failed: e.outcome !== 'success',
    ip: e.ip || 'Unknown', device: shortDeviceId(e.deviceId), browser: describeUserAgent(e.userAgent),
  };
}

/**
 * Ends every session and revokes every API token of an account, in one transaction with
 * its audit event (`account.sessions.revoke`, with both counts). LAs in their
 * organisations, platform admins anywhere. The counts are of rows newly marked revoked.
 * @throws NotFound outside the actor's read scope; Forbidden when readable but not manageable
 */
export async function revokeAllAccountSessionsFor(db: Db, ctx: Ctx, accountId: string): Promise<{ sessions: number; tokens: number }> {
  const actor = requireActor(ctx);
  const account = await findAccount(db, accountId, accountReadScope(actor));
  if (!account) throw new NotFound();
  authorizeRevokeAccountSessions(actor, { ...account, roles: await rolesOf(db, account.id) });
  const now = ctx.now.toISOString();
  return db.transaction().execute(async (trx) => {
    const sessions = await revokeAccountSessions(trx, account.id, now);
    const tokens = await revokeAccountApiTokens(trx, account.id, now);
    await recordAudit(trx, ctx, { action: 'account.sessions.revoke', organisationId: account.organisationId, target: `account:${account.id}`, details: { sessions, tokens } });
    return { sessions, tokens };
  });
}

/**
 * Devices that signed in to an account with `from <= at < to`, from its successful
 * sign-in events (grouped by device id; events without one by user agent), newest first.
 * No authorization: for commands that have already authorized (e.g. a compromise case).
 */
export async function devicesRecentlyUsed(
  db: Db, accountId: string, from: Date, to: Date,
): Promise<{ deviceId: string | null; userAgent: string; ips: string[]; firstSeen: string; lastSeen: string; signIns: number }[]> {
  const events = await listSigninEvents(db, accountId, { from: from.toISOString(), to: to.toISOString() }, { limit: DEVICE_EVENTS_LIMIT, successOnly: true });
  return groupDevices(events);
}

/** One of an account's live API tokens, ready to show (never the token itself). */
export interface TokenView {
  name: string;
  createdText: string;
  lastUsedText: string;
  /** Minted for automation with --allow-without-mfa. */
  allowWithoutMfa: boolean;
}

/**
 * What the account page adds about sessions: the devices of the last 30 days and the live
 * API tokens (both null when the viewer may not read this account's sign-in history) and the
 * outcome of a "sign out of every session" just done (`revoked` query value "<sessions>-<tokens>").
 */
export async function accountSessionsView(
  db: Db, ctx: Ctx, account: Pick<Account, 'id' | 'organisationId'>, revoked: string | undefined,
): Promise<{ devices: DeviceView[] | null; tokens: TokenView[] | null; revoked: { sessions: number; tokens: number } | null }> {
  const actor = requireActor(ctx);
  const m = revoked ? /^(\d{1,6})-(\d{1,6})$/.exec(revoked) : null;
  const done = m ? { sessions: Number(m[1]), tokens: Number(m[2]) } : null;
  if (!canReadSigninHistory(actor, account.organisationId)) return { devices: null, tokens: null, revoked: done };
  const from = new Date(ctx.now.getTime() - HISTORY_DAYS * DAY_MS);
  const devices = await devicesRecentlyUsed(db, account.id, from, new Date(ctx.now.getTime() + 1));
  return {
    devices: devices.map((d) => ({
      ...d, device: shortDeviceId(d.deviceId), browser: describeUserAgent(d.userAgent), firstSeenText: formatTime(d.firstSeen), lastSeenText: formatTime(d.lastSeen),
    })),
    tokens: (await liveApiTokensOf(db, account.id)).map((t) => ({
      name: t.name, createdText: formatTime(t.createdAt), lastUsedText: t.lastUsedAt ? formatTime(t.lastUsedAt) : 'Never', allowWithoutMfa: t.allowWithoutMfa,
    })),
    revoked: done,
  };
}
