import { recordAudit } from '../audit/audit.commands.js';
import { findAccount, findOrganisation, localAdminsOf } from '../directory/directory.repo.js';
import type { Clock } from '../platform/clock.js';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { newId } from '../platform/ids.js';
import type { Logger } from '../platform/log/log.js';
import { enqueueNotification } from '../platform/notify/outbox.js';
import { ageText, formatWhen, reminderDue } from './compromise.js';
import type { CompromiseConfig } from './compromise.commands.js';
import { type CaseRow, claimReminder, insertCaseEvent, listOverdueCases } from './compromise.repo.js';

const PAGE = 500;

/**
 * Escalates open cases older than `compromiseEscalationHours`: the first time, the case is
 * marked escalated (highlighted for the CSOC) and its LAs get a reminder email; after that
 * a reminder every `compromiseReminderHours` until it closes. Each reminder is claimed
 * with a compare-and-set on the case, so several nodes running this job send it once.
 * Each case is its own transaction (reminder, timeline step, audit event together).
 * @returns how many cases were escalated for the first time and how many reminded again
 */
export async function escalateOverdueCases(db: Db, ctx: Ctx, config: CompromiseConfig): Promise<{ escalated: number; reminded: number }> {
  const cutoff = new Date(ctx.now.getTime() - config.compromiseEscalationHours * 3_600_000).toISOString();
  let escalated = 0;
  let reminded = 0;
  let after: CaseRow | undefined;
  for (;;) {
    const page = await listOverdueCases(db, cutoff, PAGE, after);
    for (const c of page) {
      if (!reminderDue(c, ctx.now, config.compromiseEscalationHours, config.compromiseReminderHours)) continue;
      const first = c.escalatedAt === null;
      if (await remind(db, ctx, config, c)) {
        if (first) escalated++;
        else reminded++;
      }
    }
    if (page.length < PAGE) break;
    after = page[page.length - 1];
  }
  return { escalated, reminded };
}

async function remind(db: Db, ctx: Ctx, config: CompromiseConfig, c: CaseRow): Promise<boolean> {
  const account = await findAccount(db, c.accountId, { all: true });
  const organisation = await findOrganisation(db, c.organisationId, { all: true });
  const now = ctx.now.toISOString();
  const first = c.escalatedAt === null;
  return db.transaction().execute(async (trx) => {
    if (!(await claimReminder(trx, c.id, c.lastReminderAt, now))) return false;
    const las = (await localAdminsOf(trx, c.organisationId)).filter((la) => la.status === 'active' && la.id !== c.accountId);
    for (const la of las) {
      await enqueueNotification(trx, config.secretKey, ctx.now, {
        channel: 'email', template: 'compromise/case-reminder', to: la.email, accountId: la.id, organisationId: c.organisationId,
        dedupeKey: `compromise-reminder:${c.id}:${c.reminders + 1}:${la.id}`,
        data: {
          laName: la.displayName, email: account?.email ?? '', displayName: account?.displayName ?? '', organisationName: organisation?.name ?? '',
          flaggedAt: formatWhen(c.flaggedAt), age: ageText(c.flaggedAt, ctx.now),
        },
      });
    }
    await insertCaseEvent(trx, {
      id: newId(ctx.now.getTime()), caseId: c.id, at: now, kind: first ? 'escalated' : 'reminder', actor: 'system',
      details: { hours: config.compromiseEscalationHours, recipients: las.map((l) => l.email).join(', ') },
    });
    await recordAudit(trx, ctx, {
      action: first ? 'compromise.case.escalate' : 'compromise.case.remind', organisationId: c.organisationId, target: `account:${c.accountId}`,
      details: { caseId: c.id, reminder: c.reminders + 1, notified: las.length },
    });
    return true;
  });
}

/**
 * The background job for `startJobs` (run it every 15 minutes): escalation and reminders
 * of overdue compromised-account cases. Logs counts only.
 */
export async function runCompromiseEscalation(deps: { config: CompromiseConfig; db: Db; clock: Clock; logger: Logger }): Promise<{ escalated: number; reminded: number }> {
  const ctx: Ctx = { actor: null, via: 'system', ip: null, requestId: null, now: deps.clock.now() };
  const r = await escalateOverdueCases(deps.db, ctx, deps.config);
  if (r.escalated || r.reminded) deps.logger.info({ job: 'compromise-escalation', ...r }, 'compromised-account cases escalated');
  return r;
}
