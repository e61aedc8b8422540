import { recordAudit } from '../audit/audit.commands.js';
import type { Config } from '../platform/config/config.js';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { Conflict, Invalid, NotFound } from '../platform/errors/errors.js';
import { newId } from '../platform/ids.js';
import { asciiHost } from './blocklist.js';
import { ruleInForce } from './blocks.js';
import { findBlockRule, findLiveRule, insertBlockRule, liftBlockRule, listBlockRules, type BlockRuleRow } from './blocks.repo.js';
import { blockExpiry, checkBlockValue, type BlockKind } from './reports.js';
import { authorizeTriage } from './reports.policy.js';
import { findSample, organisationDomainsUnder } from './reports.repo.js';

/** Block rules: made from a phishing verdict (or by hand), expiring or lifted, always audited. */

export interface NewBlockRule {
  kind: BlockKind;
  value: string;
}

const REASON_MAX = 500;

/**
 * Adds block rules. With a sample, the sample must have the verdict "phishing". A rule
 * already in force for the same value is kept, not duplicated. Returns the rules made.
 * @throws Forbidden, NotFound (sample), Invalid (bad value, a platform or organisation domain), Conflict (sample not judged phishing)
 */
export async function createBlockRulesFor(
  db: Db, config: Config, ctx: Ctx,
  input: { rules: readonly NewBlockRule[]; sampleId?: string; days?: number; reason: string },
): Promise<BlockRuleRow[]> {
  authorizeTriage(ctx.actor);
  if (input.rules.length === 0) throw new Invalid('Choose at least one thing to block.', ['Choose at least one thing to block.']);
  if (input.sampleId) {
    const sample = await findSample(db, input.sampleId);
    if (!sample) throw new NotFound();
    if (sample.verdict !== 'phishing') throw new Conflict('Only a sample with the verdict "phishing" can be blocked from its page. Record the verdict first.');
  }
  const reason = input.reason.trim().slice(0, REASON_MAX) || (input.sampleId ? 'phishing verdict' : 'blocked by hand');
  const days = input.days ?? config.reportBlockDays;
  if (!Number.isInteger(days) || days < 0 || days > 3650) throw new Invalid('Block for 0 (until lifted) to 3650 days.', ['Block for 0 (until lifted) to 3650 days.']);
  const problems: string[] = [];
  const checked: NewBlockRule[] = [];
  for (const r of input.rules) {
    const raw = r.kind === 'sender-address' ? r.value : asciiHost(r.value.trim().replace(/\.$/, ''));
    const c = checkBlockValue(r.kind, raw || r.value, new Set([config.platformDomain.toLowerCase()]));
    if ('problem' in c) { problems.push(c.problem); continue; }
    if (r.kind !== 'sender-address') {
      const owned = await organisationDomainsUnder(db, c.value);
      if (owned.length) { problems.push(`${c.value} covers ${owned[0]}, an organisation's own domain; block a sender address instead.`); continue; }
    }
    checked.push({ kind: r.kind, value: c.value });
  }
  if (problems.length) throw new Invalid('Some block rules cannot be made.', problems);
  const now = ctx.now.toISOString();
  const expiresAt = blockExpiry(ctx.now, days);
  return db.transaction().execute(async (trx) => {
    const made: BlockRuleRow[] = [];
    for (const r of checked) {
      if (await findLiveRule(trx, r.kind, r.value, now)) continue;
      const row: BlockRuleRow = {
        id: newId(ctx.now.getTime()), kind: r.kind, value: r.value, created_at: now, created_by: ctx.actor?.accountId ?? null,
        created_by_email: ctx.actor?.email ?? 'cli', sample_id: input.sampleId ?? null, reason, expires_at: expiresAt, lifted_at: null, lifted_by_email: null,
      };
      await insertBlockRule(trx, row);
      await recordAudit(trx, ctx, { action: 'report.block.create', target: `block:${row.id}`, details: { kind: r.kind, value: r.value, expiresAt, sampleId: input.sampleId ?? null, reason } });
      made.push(row);
    }
    return made;
  });
}

/** Lifts a rule in force: the gateway stops matching it within seconds. Audited. @throws Forbidden, NotFound, Conflict (already lifted) */
export async function liftBlockRuleFor(db: Db, ctx: Ctx, id: string): Promise<void> {
  authorizeTriage(ctx.actor);
  const rule = await findBlockRule(db, id);
  if (!rule) throw new NotFound();
  await db.transaction().execute(async (trx) => {
    if (!(await liftBlockRule(trx, id, ctx.now.toISOString(), ctx.actor?.email ?? 'cli'))) throw new Conflict('This block rule was already lifted.');
    await recordAudit(trx, ctx, { action: 'report.block.lift', target: `block:${id}`, details: { kind: rule.kind, value: rule.value } });
  });
}

/** A block rule as the pages show it: the row, and whether it is in force now (`ruleInForce`). */
export type BlockRuleView = BlockRuleRow & { inForce: boolean };

/** Block rules newest first: those in force, or all (lifted and expired too). @throws Forbidden */
export async function listBlockRulesFor(db: Db, ctx: Ctx, q: { all?: boolean; sampleId?: string; limit?: number }): Promise<BlockRuleView[]> {
  authorizeTriage(ctx.actor);
  const now = ctx.now.toISOString();
  const rows = await listBlockRules(db, { activeAt: q.all ? undefined : now, sampleId: q.sampleId, limit: Math.min(q.limit ?? 200, 1000) });
  return rows.map((r) => ({ ...r, inForce: ruleInForce({ liftedAt: r.lifted_at, expiresAt: r.expires_at }, now) }));
}
