import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { primaryRole } from '../directory/directory.js';
import { auditReadScope, authorizeList } from '../directory/directory.policy.js';
import { Unauthenticated } from '../platform/errors/errors.js';
import { type AuditOutcome, type ChainBreak, ChainVerifier, type ChainedRecord, canonicalJson } from './audit.js';
import { appendEvent, listEvents, readChainPage, readHead } from './audit.repo.js';

export interface AuditInput {
  action: string;
  organisationId?: string | null;
  target?: string | null;
  outcome?: AuditOutcome;
  /** Never put passwords, answers, codes, tokens or message bodies here. */
  details?: Record<string, unknown>;
}

/**
 * Records an audit event for the change being made in `trx`. Call it inside the same
 * transaction as the change, so that both land or neither does.
 */
export async function recordAudit(trx: Db, ctx: Ctx, input: AuditInput): Promise<ChainedRecord> {
  return appendEvent(trx, {
    at: ctx.now.toISOString(),
    actorId: ctx.actor?.accountId ?? null,
    actorEmail: ctx.actor?.email ?? (ctx.via === 'cli' ? 'cli' : ctx.via === 'system' ? 'system' : null),
    actorRole: ctx.actor ? primaryRole(ctx.actor.roles) : ctx.via,
    organisationId: input.organisationId ?? null,
    action: input.action,
    target: input.target ?? null,
    ip: ctx.ip,
    requestId: ctx.requestId,
    outcome: input.outcome ?? 'success',
    details: canonicalJson(input.details ?? {}),
  });
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  head: { seq: number; hash: string };
  broken: ChainBreak | null;
}

/**
 * Walks the whole trail in pages and checks every link. Memory stays flat however long
 * the trail is. Read consistency: run when writers are quiet, or accept that events
 * appended during the walk are checked next time.
 */
export async function verifyAuditTrail(db: Db, onProgress?: (checked: number, total: number) => void): Promise<VerifyResult> {
  const head = await readHead(db);
  const verifier = new ChainVerifier();
  let after = 0;
  for (;;) {
    const page = await readChainPage(db, after, 5000);
    for (const e of page) {
      if (e.seq > head.seq) break;
      if (!verifier.add(e)) break;
    }
    if (verifier.broken || page.length < 5000) break;
    after = page[page.length - 1]!.seq;
    if (after >= head.seq) break;
    onProgress?.(verifier.checked, head.seq);
  }
  const broken = verifier.finish(head);
  return { ok: broken === null, checked: verifier.checked, head, broken };
}

/** The audit log an actor may read, newest first. @throws Forbidden, Unauthenticated */
export async function listAuditEvents(db: Db, ctx: Ctx, q: { beforeSeq?: number; action?: string; limit?: number }): Promise<ChainedRecord[]> {
  if (!ctx.actor) throw new Unauthenticated();
  const scope = auditReadScope(ctx.actor);
  authorizeList(scope);
  return listEvents(db, scope, { ...q, limit: Math.min(Math.max(q.limit ?? 50, 1), 200) });
}
