import { recordAudit } from '../audit/audit.commands.js';
import type { Config } from '../platform/config/config.js';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { Conflict, Invalid, NotFound } from '../platform/errors/errors.js';
import { newId } from '../platform/ids.js';
import { sendEmail, type OutgoingEmail } from '../platform/notify/mailer.js';
import { certEmail, type CertSample } from './cert.js';
import { claimSamples, currentClaims, findSubmission, finishSubmission, insertSubmission, listSubmissions, releaseClaims, type SubmissionRow } from './cert.repo.js';
import type { Indicators } from './indicators.js';
import { authorizeTriage } from './reports.policy.js';
import { getBlob } from './reports.repo.js';
import { samplesByIds } from './triage.repo.js';

/**
 * Submitting samples to the CERT: one email with the originals attached, sent through the
 * platform's outbound mail, recorded durably (who, when, which samples). A sample already
 * submitted is refused unless the analyst explicitly forces a second submission.
 */

export type SendMail = (msg: OutgoingEmail) => Promise<{ messageId: string }>;

export interface SubmitResult {
  submission: SubmissionRow;
  sent: boolean;
}

const MAX_SAMPLES = 20;

/**
 * Claims the samples, records the submission, sends the email, and records the outcome.
 * A failed send releases the claims (the samples count as not submitted) and is recorded.
 * @throws Forbidden, Invalid (no CERT address, bad selection), NotFound, Conflict (already submitted, not forced)
 */
export async function submitToCertFor(
  db: Db, config: Config, ctx: Ctx, input: { sampleIds: readonly string[]; arf?: boolean; force?: boolean },
  deps: { send?: SendMail; logger?: { warn(obj: object, msg: string): void } } = {},
): Promise<SubmitResult> {
  authorizeTriage(ctx.actor);
  const to = config.reportCertAddress;
  if (!to) throw new Invalid('No CERT address is configured (POSTWARDEN_REPORT_CERT_ADDRESS).', ['No CERT address is configured.']);
  const ids = [...new Set(input.sampleIds)];
  if (ids.length === 0) throw new Invalid('Select at least one sample to submit.', ['Select at least one sample to submit.']);
  if (ids.length > MAX_SAMPLES) throw new Invalid(`Submit at most ${MAX_SAMPLES} samples in one email.`, [`Submit at most ${MAX_SAMPLES} samples in one email.`]);
  const rows = await samplesByIds(db, ids);
  if (rows.length !== ids.length) throw new NotFound();
  const samples: CertSample[] = [];
  for (const r of rows) {
    const bytes = await getBlob(db, r.sha256);
    if (!bytes) throw new Error(`sample ${r.id}: stored bytes missing`);
    samples.push({
      id: r.id, sha256: r.sha256, format: r.format, bytes, indicators: JSON.parse(r.indicators) as Indicators,
      firstReportedAt: r.first_reported_at, reportCount: r.report_count, verdict: r.verdict,
    });
  }
  const force = input.force === true;
  const arf = input.arf === true;
  const by = ctx.actor?.email ?? 'cli';
  const submissionId = newId(ctx.now.getTime());
  const previous = await currentClaims(db, ids);
  const submission: SubmissionRow = {
    id: submissionId, at: ctx.now.toISOString(), actor_id: ctx.actor?.accountId ?? null, actor_email: by, to_address: to,
    arf: arf ? 1 : 0, forced: force ? 1 : 0, status: 'sending', message_id: null, error: null, sample_count: samples.length,
  };
  await db.transaction().execute(async (trx) => {
    const claimed = await claimSamples(trx, ids, submissionId, force);
    if (claimed !== ids.length) {
      const already = rows.filter((r) => previous.get(r.id)).map((r) => `“${r.subject.slice(0, 60) || r.sha256.slice(0, 12)}”`);
      throw new Conflict(`Already submitted to the CERT: ${already.join(', ') || 'one of these samples'}. To send ${already.length === 1 ? 'it' : 'them'} again on purpose, tick "Submit again" (or use --force on the command line).`);
    }
    await insertSubmission(trx, submission, samples);
    await recordAudit(trx, ctx, {
      action: 'report.cert.submit', target: `cert-submission:${submissionId}`,
      details: { to, arf, forced: force, samples: samples.map((s) => s.sha256) },
    });
  });
  const mail = certEmail(samples, { serviceName: config.serviceName, submissionId, submittedBy: by, arf });
  const send: SendMail = deps.send ?? ((msg) => sendEmail({ config }, msg));
  try {
    const { messageId } = await send({
      to, subject: mail.subject, text: mail.text, attachments: mail.attachments,
      messageId: `<cert-${submissionId}@${config.platformDomain}>`, headers: { 'X-Postwarden-Submission': submissionId },
    });
    await db.transaction().execute((trx) => finishSubmission(trx, submissionId, { status: 'sent', messageId }));
    return { submission: { ...submission, status: 'sent', message_id: messageId }, sent: true };
  } catch (err) {
    const error = (err as Error).message.replace(/[\r\n]+/g, ' ').slice(0, 300);
    deps.logger?.warn({ submissionId, err: error }, 'CERT submission failed');
    await db.transaction().execute(async (trx) => {
      await finishSubmission(trx, submissionId, { status: 'failed', error });
      await releaseClaims(trx, submissionId, previous);
      await recordAudit(trx, ctx, { action: 'report.cert.submit', target: `cert-submission:${submissionId}`, outcome: 'failure', details: { to, error } });
    });
    return { submission: { ...submission, status: 'failed', error }, sent: false };
  }
}

/** Submissions newest first (or those that included a sample). @throws Forbidden */
export async function listSubmissionsFor(db: Db, ctx: Ctx, q: { sampleId?: string; limit?: number } = {}): Promise<SubmissionRow[]> {
  authorizeTriage(ctx.actor);
  return listSubmissions(db, { sampleId: q.sampleId, limit: Math.min(q.limit ?? 100, 500) });
}

/** One submission. @throws Forbidden, NotFound */
export async function getSubmissionFor(db: Db, ctx: Ctx, id: string): Promise<SubmissionRow> {
  authorizeTriage(ctx.actor);
  const s = await findSubmission(db, id);
  if (!s) throw new NotFound();
  return s;
}
