import { recordAudit } from '../audit/audit.commands.js';
import { findOrganisation, findOrganisationByCode, localAdminsOf } from '../directory/directory.repo.js';
import type { Clock } from '../platform/clock.js';
import type { Config } from '../platform/config/config.js';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { Conflict, NotFound } from '../platform/errors/errors.js';
import { newId } from '../platform/ids.js';
import { enqueueNotification } from '../platform/notify/outbox.js';
import { revokeAccountSessions } from '../signin/signin.repo.js';
import { STATUS_REASON_NON_UK_MOBILE, StoredMobileClassifier } from './phones.js';
import { authorizeSweep } from './phones.policy.js';
import {
  accountsByIds, advanceDigest, countAccountsWithMobile, advanceRun, disabledItemsOf, digestOrganisations, disableForNonUkMobile, findRun, findUnfinishedRun, insertItems,
  insertRun, moveRunStatus, pageAccountsWithMobile, type SweepItem, type SweepRun,
} from './phones.repo.js';

/**
 * The UK-mobile sweep. A run is a row with a keyset cursor over account ids; each batch
 * (read a page, classify, record findings, and for `apply` disable and sign out, audit)
 * commits together with the cursor move, which is a compare-and-set. So a run killed at
 * any point resumes after the last committed batch: no account is processed twice and
 * none is skipped. For `apply`, each organisation's Local Administrators then get ONE
 * digest built from the run's own records (again one transaction per organisation with a
 * cursor, and dedupe keys on the notifications).
 */

export type SweepMode = SweepRun['mode'];
export type SweepConfig = Pick<Config, 'secretKey' | 'allowCrownDependencyMobiles'>;

export const DEFAULT_BATCH = 5000;
/** Accounts listed by name in one digest email; the rest are on the portal page. */
const DIGEST_LISTED = 200;

export interface SweepProgress {
  runId: string;
  checked: number;
  failing: number;
  disabled: number;
  batches: number;
}

export interface ContinueOptions {
  batchSize?: number;
  /** Called after each committed batch. */
  onBatch?: (p: SweepProgress) => void;
  /** Test hook: called after batch `n` (1-based, of this process) committed; may throw to simulate a crash. */
  afterBatch?: (n: number) => void | Promise<void>;
  /** Clock for audit times of a long run (default: the ctx's time for every step). */
  clock?: Clock;
}

/**
 * Starts a sweep run, or returns the unfinished run of the same mode and organisation
 * filter (resume). Audited (`phones.sweep.start` / `phones.sweep.resume`).
 * @throws Forbidden (platform admins and the CLI only), NotFound (organisation code)
 */
export async function openSweepRun(
  db: Db, ctx: Ctx, config: SweepConfig, opts: { mode: SweepMode; organisationCode?: string; fresh?: boolean },
): Promise<{ run: SweepRun; resumed: boolean }> {
  authorizeSweep(ctx.actor);
  let organisationId: string | null = null;
  if (opts.organisationCode) {
    const org = await findOrganisationByCode(db, opts.organisationCode.trim().toUpperCase());
    if (!org) throw new NotFound(`No organisation with code ${opts.organisationCode.trim().toUpperCase()}`);
    organisationId = org.id;
  }
  const unfinished = opts.fresh ? undefined : await findUnfinishedRun(db, opts.mode, organisationId);
  if (unfinished) {
    await db.transaction().execute((trx) =>
      recordAudit(trx, ctx, { action: 'phones.sweep.resume', organisationId, target: `sweep:${unfinished.id}`, details: { mode: opts.mode, after: unfinished.last_account_id } }),
    );
    return { run: unfinished, resumed: true };
  }
  const now = ctx.now.toISOString();
  const run: SweepRun = {
    id: newId(ctx.now.getTime()), mode: opts.mode, organisation_id: organisationId, status: 'running', last_account_id: null, last_digest_org_id: null,
    allow_crown_dependencies: config.allowCrownDependencyMobiles ? 1 : 0, checked: 0, failing: 0, disabled: 0, batches: 0,
    started_by: ctx.actor?.email ?? 'cli', started_at: now, updated_at: now, finished_at: null,
  };
  await db.transaction().execute(async (trx) => {
    await insertRun(trx, run);
    await recordAudit(trx, ctx, {
      action: 'phones.sweep.start', organisationId, target: `sweep:${run.id}`,
      details: { mode: opts.mode, organisationCode: opts.organisationCode ?? null, allowCrownDependencies: config.allowCrownDependencyMobiles },
    });
  });
  return { run, resumed: false };
}

/** How many accounts a run checks in all (for a progress bar). @throws Forbidden */
export async function countSweepAccounts(db: Db, ctx: Ctx, run: SweepRun): Promise<number> {
  authorizeSweep(ctx.actor);
  return countAccountsWithMobile(db, run.organisation_id);
}

/**
 * Runs a sweep to the end from wherever it stopped: the account batches, then (apply) the
 * LA digests, then `finished`. @returns the finished run
 * @throws Forbidden, NotFound (run), Conflict when another process advanced the same run
 */
export async function continueSweep(db: Db, ctx: Ctx, config: SweepConfig, runId: string, opts: ContinueOptions = {}): Promise<SweepRun> {
  authorizeSweep(ctx.actor);
  let run = await findRun(db, runId);
  if (!run) throw new NotFound('No such sweep run');
  const batchSize = Math.min(Math.max(Math.trunc(opts.batchSize ?? DEFAULT_BATCH), 1), 20_000);
  const classifier = new StoredMobileClassifier({ allowCrownDependencies: run.allow_crown_dependencies === 1 });
  const at = (): Ctx => (opts.clock ? { ...ctx, now: opts.clock.now() } : ctx);
  let n = 0;
  while (run.status === 'running') {
    const page = await pageAccountsWithMobile(db, { after: run.last_account_id, organisationId: run.organisation_id, limit: batchSize });
    if (!page.length) {
      const next = run.mode === 'apply' ? 'notifying' : 'finished';
      await db.transaction().execute(async (trx) => {
        if (!(await moveRunStatus(trx, run!.id, 'running', next, at().now.toISOString()))) throw new Conflict('Another process is running this sweep.');
        if (next === 'finished') await auditFinish(trx, at(), run!);
      });
    } else {
      const counts = await sweepBatch(db, at(), run, classifier, page);
      n++;
      opts.onBatch?.({ runId: run.id, checked: run.checked + counts.checked, failing: run.failing + counts.failing, disabled: run.disabled + counts.disabled, batches: run.batches + 1 });
      await opts.afterBatch?.(n);
    }
    run = (await findRun(db, runId))!;
  }
  if (run.status === 'notifying') {
    await sendDigests(db, at, config, run);
    run = (await findRun(db, runId))!;
  }
  return run;
}

async function auditFinish(trx: Db, ctx: Ctx, run: SweepRun): Promise<void> {
  const fresh = (await findRun(trx, run.id))!;
  await recordAudit(trx, ctx, {
    action: 'phones.sweep.finish', organisationId: run.organisation_id, target: `sweep:${run.id}`,
    details: { mode: run.mode, checked: fresh.checked, failing: fresh.failing, disabled: fresh.disabled, batches: fresh.batches },
  });
}

/** One batch in one transaction: the cursor moves (compare-and-set) with the findings, the disables, the sign-outs and their audit events. */
async function sweepBatch(
  db: Db, ctx: Ctx, run: SweepRun, classifier: StoredMobileClassifier, page: { id: string; mobile: string }[],
): Promise<{ checked: number; failing: number; disabled: number }> {
  const failing = new Map<string, string>();
  const problems = new Map<string, { problem: string; why: string }>();
  for (const row of page) {
    const r = classifier.check(row.mobile);
    if (!r.ok) {
      failing.set(row.id, row.mobile);
      problems.set(row.id, { problem: r.problem, why: r.message });
    }
  }
  const now = ctx.now.toISOString();
  return db.transaction().execute(async (trx) => {
    let disabled = 0;
    const items: SweepItem[] = [];
    if (failing.size) {
      const accounts = await accountsByIds(trx, [...failing.keys()]);
      for (const [id, mobile] of failing) {
        const a = accounts.get(id);
        if (!a || a.mobile !== mobile) continue; // changed since the page was read: its new number went through the rule
        const p = problems.get(id)!;
        let action: SweepItem['action'];
        if (a.status === 'disabled' && a.status_reason === STATUS_REASON_NON_UK_MOBILE) action = 'already-disabled';
        else if (a.status !== 'active') action = 'left-as-is';
        else if (run.mode === 'dry-run') action = 'would-disable';
        else if (await disableForNonUkMobile(trx, id, mobile, now)) {
          action = 'disabled';
          disabled++;
          const sessions = await revokeAccountSessions(trx, id, now);
          await recordAudit(trx, ctx, {
            action: 'account.disable', organisationId: a.organisation_id, target: `account:${id}`,
            details: { reason: STATUS_REASON_NON_UK_MOBILE, problem: p.problem, sweepRunId: run.id, sessions },
          });
        } else action = 'left-as-is';
        items.push({ run_id: run.id, account_id: id, organisation_id: a.organisation_id, email: a.email, mobile, problem: p.problem, why: p.why, action, account_status: a.status });
      }
    }
    const won = await advanceRun(trx, run.id, run.last_account_id, { last: page[page.length - 1]!.id, checked: page.length, failing: items.length, disabled, at: now });
    if (!won) throw new Conflict('Another process is running this sweep.');
    await insertItems(trx, items);
    return { checked: page.length, failing: items.length, disabled };
  });
}

/** One digest per organisation (to each of its active LAs), one transaction each, resumable by the digest cursor. */
async function sendDigests(db: Db, at: () => Ctx, config: SweepConfig, start: SweepRun): Promise<void> {
  let last = start.last_digest_org_id;
  for (;;) {
    const orgs = await digestOrganisations(db, start.id, last, 100);
    for (const orgId of orgs) {
      const ctx = at();
      const organisation = await findOrganisation(db, orgId, { all: true });
      const items = await disabledItemsOf(db, start.id, orgId, 100_000);
      const expected = last;
      await db.transaction().execute(async (trx) => {
        if (!(await advanceDigest(trx, start.id, expected, orgId, ctx.now.toISOString()))) throw new Conflict('Another process is running this sweep.');
        const las = (await localAdminsOf(trx, orgId)).filter((la) => la.status === 'active');
        for (const la of las) {
          await enqueueNotification(trx, config.secretKey, ctx.now, {
            channel: 'email', template: 'phones/sweep-digest', to: la.email, accountId: la.id, organisationId: orgId,
            dedupeKey: `phones-sweep:${start.id}:${orgId}:${la.id}`,
            data: {
              laName: la.displayName, organisationName: organisation?.name ?? '', count: items.length,
              accounts: items.slice(0, DIGEST_LISTED).map((i) => ({ email: i.email, why: i.why })), more: Math.max(0, items.length - DIGEST_LISTED),
            },
          });
        }
        await recordAudit(trx, ctx, {
          action: 'phones.sweep.notify', organisationId: orgId, target: `sweep:${start.id}`,
          details: { accounts: items.length, notified: las.length, noLocalAdmin: las.length === 0 },
        });
      });
      last = orgId;
    }
    if (orgs.length < 100) break;
  }
  await db.transaction().execute(async (trx) => {
    const ctx = at();
    if (!(await moveRunStatus(trx, start.id, 'notifying', 'finished', ctx.now.toISOString()))) throw new Conflict('Another process is running this sweep.');
    await auditFinish(trx, ctx, start);
  });
}
