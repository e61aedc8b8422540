import { Invalid } from '../platform/errors/errors.js';
import { newId } from '../platform/ids.js';
import { decodeWords, prependFields } from '../platform/mail/mime/index.js';
import { StageFailed, runStage } from '../platform/smtp/stages.js';
import { scanAccountLinkLure } from '../mailtips/lure.js';
import { type TipDecision, tipKey } from '../mailtips/mailtips.js';
import { stampTips } from '../mailtips/stamp.js';
import { ingestReportMail } from '../reports/reports.gateway.js';
import { deliveryKey, domainOfAddress, senderAuthenticated, systemSender, tipSender } from './gateway.js';
import { insertQuarantine } from './gateway.repo.js';
import type { GatewayQuarantineTable } from './gateway.tables.js';
import { type AuthVerdict, arcSealFields } from './pipeline.auth.js';
import { type MessageRun, failAll } from './pipeline.run.js';

/** The steps of the pipeline that commit something: reports, quarantine, delivery. */

/**
 * Mail to a reporting address goes to the report store (durable before we answer 250),
 * its reporter verified only when the sender is authenticated (`senderAuthenticated`).
 * Never throws: the report recipients get 'report', or 550 for a message the store refuses
 * as invalid, or 451.
 */
export async function takeReports(run: MessageRun, raw: Buffer, recipients: string[], verdict: AuthVerdict): Promise<void> {
  const { deps, env, session } = run;
  try {
    const sender = tipSender(run.fromAddresses, env.mailFrom);
    const fromDomain = domainOfAddress(sender);
    const authenticated = senderAuthenticated({
      fromDomain, mailFromDomain: domainOfAddress(env.mailFrom), dmarcPass: verdict.dmarcPass,
      dkimPassDomains: verdict.dkimPasses.map((p) => p.domain), spfPass: verdict.spfPass,
    });
    // A verified reporter: exactly one From address, authenticated (DMARC-aligned), and an account.
    const account = authenticated && run.fromAddresses.length === 1 ? await deps.directory.accountOf(sender) : null;
    const { reportId } = await runStage(run.specs.reports!, () => ingestReportMail(deps.db, deps.config, run.now, raw, {
      mailFrom: env.mailFrom, rcptTo: recipients, remoteAddress: session.remoteAddress, internalSenderAccountId: account?.id ?? null,
    }), run.hooks);
    for (const r of recipients) run.results.set(r, { kind: 'report', reportId });
  } catch (err) {
    const original = err instanceof StageFailed ? err.original : err;
    if (original instanceof Invalid) {
      for (const r of recipients) run.results.set(r, { kind: 'permfail', text: `5.6.0 ${original.message}`.slice(0, 300) });
    } else {
      failAll(run, recipients, err);
    }
  }
}

/**
 * Keeps the message in the quarantine instead of delivering it to `recipients`.
 * @throws StageFailed when it cannot be stored (the caller answers 451: never 250 for mail we did not keep)
 */
export async function holdInQuarantine(
  run: MessageRun, raw: Buffer, recipients: string[], why: { reason: GatewayQuarantineTable['reason']; ruleId: string | null; detail: string },
): Promise<void> {
  const { deps, session } = run;
  const id = await runStage(run.specs.quarantine!, () => insertQuarantine(deps.db, {
    id: newId(run.now.getTime()),
    messageKey: deliveryKey(deps.hmacKey, run.digest, `${why.reason}:${recipients.join(',')}`),
    receivedAt: run.now.toISOString(),
    reason: why.reason,
    ruleId: why.ruleId,
    detail: why.detail.slice(0, 500),
    mailFrom: run.env.mailFrom,
    headerFrom: run.fromAddresses[0] ?? null,
    recipients,
    subject: run.subject === null ? null : decodeWords(run.subject).slice(0, 300),
    messageId: run.messageId?.slice(0, 300) ?? null,
    size: raw.length,
    remoteAddress: session.remoteAddress,
    smtpSessionId: session.id,
    raw,
  }), run.hooks);
  for (const r of recipients) run.results.set(r, { kind: 'quarantined', id });
  deps.metrics.inc('postwarden_gateway_quarantined_total', { reason: why.reason });
  deps.logger.info({ smtpSessionId: session.id, quarantineId: id, reason: why.reason, ruleId: why.ruleId, recipients: recipients.length }, 'message quarantined');
}

/**
 * Tips, stamping, optional ARC seal, delivery and the sender-history record. Recipients
 * with the same tip share one copy (one next-hop transaction). Never throws.
 */
export async function deliverCopies(
  run: MessageRun, clean: Buffer, recipients: string[], o: { sender: string; authenticated: boolean; scanLure: boolean; verdict: AuthVerdict },
): Promise<void> {
  const { deps, specs, env } = run;
  let decisions: TipDecision[];
  try {
    decisions = await runStage(specs.tips!, async () => {
      const ds = await deps.mailtips.decide(recipients, o.sender, run.now, { authenticated: o.authenticated });
      if (o.scanLure && scanAccountLinkLure(clean)) for (const d of ds) d.accountLinkWarning = true;
      return ds;
    }, run.hooks);
  } catch (err) {
    return failAll(run, recipients, err);
  }
  const groups = new Map<string, { decision: TipDecision | null; recipients: string[] }>();
  recipients.forEach((r, i) => {
    const d = decisions[i]!;
    const key = tipKey(d);
    const g = groups.get(key) ?? { decision: key ? d : null, recipients: [] };
    g.recipients.push(r);
    groups.set(key, g);
  });
  const stampOptions = { serviceName: deps.config.serviceName, noReplyAddress: systemSender(deps.config.platformDomain) };
  const history = new Set(recipients.filter((_r, i) => decisions[i]!.exempt === null));

  const delivered: string[] = [];
  await Promise.all([...groups.values()].map(async (g) => {
    try {
      let copy = g.decision ? await runStage(specs.stamp!, () => stampTips(clean, g.decision!, stampOptions), run.hooks) : clean;
      if (deps.config.arcSeal && deps.dkim) {
        const seal = await runStage(specs.seal!, () => arcSealFields(copy, deps.dkim!, o.verdict), run.hooks);
        copy = prependFields(copy, seal.toString('utf8'));
      }
      const keys = g.recipients.map((r) => run.keys.get(r)!);
      const outcomes = await runStage(specs.deliver!, () => deps.nextHop.deliver({ mailFrom: env.mailFrom, recipients: g.recipients, raw: copy, keys }), {
        ...run.hooks,
        // Delivered after we gave up waiting: the sender will retry, and must not get a second copy.
        onLate: (late) => {
          const done = late.filter((x) => x.ok).map((x) => run.keys.get(x.recipient.toLowerCase())).filter((k): k is string => !!k);
          if (done.length) deps.ledger.remember(done, new Date()).catch(() => undefined);
        },
      });
      for (const out of outcomes) {
        const r = out.recipient.toLowerCase();
        if (out.ok) {
          run.results.set(r, { kind: 'delivered' });
          delivered.push(r);
        } else {
          run.results.set(r, out.temporary ? { kind: 'tempfail', text: out.text.startsWith('4.') ? out.text : `4.4.0 ${out.text}` } : { kind: 'permfail', text: out.text.startsWith('5.') ? out.text : `5.0.0 ${out.text}` });
        }
      }
    } catch (err) {
      failAll(run, g.recipients, err);
    }
  }));

  const recorded = delivered.filter((r) => history.has(r));
  if (!recorded.length) return;
  try {
    await runStage(specs.record!, () => deps.mailtips.recordDelivered(recorded, o.sender, run.now), run.hooks);
  } catch (err) {
    // Delivered, but the history did not take it (database down): answer 451 and make sure
    // the retry delivers nothing twice.
    for (const r of recorded) run.results.set(r, { kind: 'tempfail', text: '4.3.0 Temporary local problem (record), try again later' });
    run.forceLedger.push(...recorded);
    void err;
  }
}
