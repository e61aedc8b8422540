import { recordAudit } from '../audit/audit.commands.js';
import type { Config } from '../platform/config/config.js';
import type { Ctx } from '../platform/context.js';
import { deriveKey } from '../platform/crypto/secrets.js';
import type { Db } from '../platform/db/db.js';
import { Conflict, NotFound } from '../platform/errors/errors.js';
import { parseHead } from '../platform/mail/mime/index.js';
import type { NextHop } from '../platform/smtp/nexthop.js';
import { type HeldMessage, deliveryKey } from './gateway.js';
import { authorizeQuarantine } from './gateway.policy.js';
import { type QuarantineRow, countHeld, decideQuarantine, findQuarantine, listQuarantine, purgeQuarantineBefore, purgeRedeliveryBefore } from './gateway.repo.js';
import type { GatewayQuarantineTable } from './gateway.tables.js';

/** The quarantine as the portal and CLI use it: authorize → repo → audit. */

/** A held message with the decision taken on it. */
export interface QuarantineItem extends HeldMessage {
  status: GatewayQuarantineTable['status'];
  decidedAt: string | null;
  decidedBy: string | null;
}

function toItem(r: QuarantineRow): QuarantineItem {
  return {
    id: r.id, receivedAt: r.received_at, reason: r.reason, ruleId: r.rule_id, detail: r.detail, mailFrom: r.mail_from, headerFrom: r.header_from,
    recipients: JSON.parse(r.recipients) as string[], subject: r.subject, messageId: r.message_id, size: Number(r.size),
    remoteAddress: r.remote_address, smtpSessionId: r.smtp_session_id, status: r.status, decidedAt: r.decided_at, decidedBy: r.decided_by,
  };
}

export type QuarantineStatusFilter = GatewayQuarantineTable['status'] | 'all';

/** Newest first. @throws Forbidden, Unauthenticated */
export async function listQuarantineFor(db: Db, ctx: Ctx, q: { status: QuarantineStatusFilter; before?: { receivedAt: string; id: string }; limit: number }): Promise<QuarantineItem[]> {
  authorizeQuarantine(ctx.actor, ctx.via);
  const rows = await listQuarantine(db, { status: q.status === 'all' ? undefined : q.status, before: q.before, limit: Math.min(Math.max(q.limit, 1), 1000) });
  return rows.map(toItem);
}

/** How many messages are held now (dashboard). @throws Forbidden, Unauthenticated */
export async function countHeldFor(db: Db, ctx: Ctx): Promise<number> {
  authorizeQuarantine(ctx.actor, ctx.via);
  return countHeld(db);
}

/** One held message with its header section (never the body). @throws NotFound, Forbidden */
export async function getQuarantineFor(db: Db, ctx: Ctx, id: string): Promise<QuarantineItem & { header: string | null }> {
  authorizeQuarantine(ctx.actor, ctx.via);
  const row = await findQuarantine(db, id);
  if (!row) throw new NotFound();
  let header: string | null = null;
  if (row.raw_b64) {
    const raw = Buffer.from(row.raw_b64, 'base64');
    header = raw.toString('utf8', 0, Math.min(parseHead(raw).bodyStart, 64 * 1024));
  }
  return { ...toItem(row), header };
}

/** The stored message itself (CLI `quarantine show --raw`). @throws NotFound, Forbidden */
export async function rawQuarantineFor(db: Db, ctx: Ctx, id: string): Promise<Buffer> {
  authorizeQuarantine(ctx.actor, ctx.via);
  const row = await findQuarantine(db, id);
  if (!row?.raw_b64) throw new NotFound();
  return Buffer.from(row.raw_b64, 'base64');
}

/**
 * Delivers a held message to the recipients it was held from, then records the release.
 * Delivery first: if the next hop refuses, nothing changes and the analyst can try again
 * (the embedded store will not take a second copy).
 * @throws NotFound, Forbidden, Conflict (already decided; or the next hop refused)
 */
export async function releaseQuarantine(db: Db, config: Config, ctx: Ctx, id: string, nextHop: NextHop): Promise<QuarantineItem> {
  authorizeQuarantine(ctx.actor, ctx.via);
  const row = await findQuarantine(db, id);
  if (!row) throw new NotFound();
  if (row.status !== 'held' || !row.raw_b64) throw new Conflict(`This message was already ${row.status}.`);
  const recipients = JSON.parse(row.recipients) as string[];
  const key = deriveKey(config.secretKey, 'gateway-delivery-keys');
  const outcomes = await nextHop.deliver({
    mailFrom: row.mail_from, recipients, raw: Buffer.from(row.raw_b64, 'base64'), keys: recipients.map((r) => deliveryKey(key, `release:${row.id}`, r)),
  });
  const failed = outcomes.filter((o) => !o.ok);
  if (failed.length) {
    await db.transaction().execute((trx) => recordAudit(trx, ctx, {
      action: 'gateway.quarantine.release', target: id, outcome: 'failure', details: { reason: row.reason, failed: failed.length, recipients: recipients.length },
    }));
    throw new Conflict(`The mail store did not accept the message for ${failed.map((f) => `${f.recipient} (${f.text})`).join(', ')}. Nothing was changed; try again later.`);
  }
  await db.transaction().execute(async (trx) => {
    const changed = await decideQuarantine(trx, id, { status: 'released', at: ctx.now.toISOString(), by: ctx.actor?.accountId ?? ctx.via });
    if (!changed) throw new Conflict('This message was decided by someone else meanwhile.');
    await recordAudit(trx, ctx, { action: 'gateway.quarantine.release', target: id, details: { reason: row.reason, ruleId: row.rule_id, recipients: recipients.length } });
  });
  return toItem((await findQuarantine(db, id))!);
}

/** Deletes a held message (the row stays as the record; the message is gone). @throws NotFound, Forbidden, Conflict */
export async function deleteQuarantine(db: Db, ctx: Ctx, id: string): Promise<QuarantineItem> {
  authorizeQuarantine(ctx.actor, ctx.via);
  const row = await findQuarantine(db, id);
  if (!row) throw new NotFound();
  if (row.status !== 'held') throw new Conflict(`This message was already ${row.status}.`);
  await db.transaction().execute(async (trx) => {
    const changed = await decideQuarantine(trx, id, { status: 'deleted', at: ctx.now.toISOString(), by: ctx.actor?.accountId ?? ctx.via });
    if (!changed) throw new Conflict('This message was decided by someone else meanwhile.');
    await recordAudit(trx, ctx, { action: 'gateway.quarantine.delete', target: id, details: { reason: row.reason, ruleId: row.rule_id } });
  });
  return toItem((await findQuarantine(db, id))!);
}

/**
 * Job: forgets quarantined messages older than gatewayQuarantineDays and redelivery keys
 * older than gatewayRedeliveryHours. Safe on several nodes at once.
 */
export async function purgeGatewayData(db: Db, config: Config, now: Date): Promise<{ quarantine: number; redelivery: number }> {
  const quarantine = await purgeQuarantineBefore(db, new Date(now.getTime() - config.gatewayQuarantineDays * 86_400_000).toISOString());
  const redelivery = await purgeRedeliveryBefore(db, new Date(now.getTime() - config.gatewayRedeliveryHours * 3_600_000).toISOString());
  return { quarantine, redelivery };
}
