import type { Config } from '../platform/config/config.js';
import { addressesIn, fieldValue, fieldValues, parseHead, prependFields, removeFields, withEol } from '../platform/mail/mime/index.js';
import type { SessionInfo } from '../platform/smtp/server.js';
import { type StageSpec, runStage } from '../platform/smtp/stages.js';
import { stripImitations } from '../mailtips/stamp.js';
import {
  type Collapsed, type RecipientResult, authservIdOf, collapse, deliveryKey, domainOfAddress,
  messageDigest, receivedField, senderAuthenticated, systemMailProblem, tipSender,
} from './gateway.js';
import { platformClaim } from './lookalike.js';
import { type AuthVerdict, verifyMessage } from './pipeline.auth.js';
import { type Envelope, type MessageRun, type PipelineDeps, failAll, open, tempfailText } from './pipeline.run.js';
import { deliverCopies, holdInQuarantine, takeReports } from './pipeline.steps.js';

export type { Envelope, PipelineDeps };

/**
 * The inbound pipeline, one message at a time: authenticate (before any change) →
 * sanitise (drop forged Authentication-Results and imitation tips, add ours) → reports →
 * block rules → spoofed system mail → quarantine → tips → stamp → ARC seal → deliver →
 * record. Each stage is named, time-limited, and turns a crash or timeout into 451.
 * Every recipient ends with a disposition; collapse() turns them into the SMTP reply.
 */

export function stageSpecs(config: Config): Record<string, StageSpec> {
  const t = config.smtpStageTimeoutMs;
  return {
    authenticate: { name: 'authenticate', timeoutMs: t, onFailure: 'tempfail' },
    sanitise: { name: 'sanitise', timeoutMs: 0, onFailure: 'tempfail' },
    imitations: { name: 'imitations', timeoutMs: 0, onFailure: 'tempfail' },
    reports: { name: 'reports', timeoutMs: t, onFailure: 'tempfail' },
    block: { name: 'block', timeoutMs: t, onFailure: 'tempfail' },
    quarantine: { name: 'quarantine', timeoutMs: t, onFailure: 'tempfail' },
    tips: { name: 'tips', timeoutMs: t, onFailure: 'tempfail' },
    stamp: { name: 'stamp', timeoutMs: 0, onFailure: 'tempfail' },
    seal: { name: 'seal', timeoutMs: t, onFailure: 'tempfail' },
    deliver: { name: 'deliver', timeoutMs: config.relayTimeoutMs + 5000, onFailure: 'tempfail' },
    record: { name: 'record', timeoutMs: t, onFailure: 'tempfail' },
  };
}

/**
 * Runs one message through the pipeline. Never rejects: every failure becomes a disposition.
 * @returns the SMTP reply and the per-recipient (LMTP) replies
 */
export async function processMessage(deps: PipelineDeps, raw: Buffer, env: Envelope, session: SessionInfo): Promise<Collapsed> {
  const started = performance.now();
  const now = deps.clock.now();
  const head = parseHead(raw);
  const messageId = fieldValue(head, 'message-id');
  const recipients = [...new Set(env.rcptTo.map((r) => r.toLowerCase()))];
  const digest = messageDigest(env.mailFrom, messageId, raw, head.bodyStart);
  const run: MessageRun = {
    deps, specs: stageSpecs(deps.config), session, env, now, recipients, digest, size: raw.length, messageId,
    subject: fieldValue(head, 'subject'),
    fromAddresses: fieldValues(head, 'from').flatMap(addressesIn),
    keys: new Map(recipients.map((r) => [r, deliveryKey(deps.hmacKey, digest, r)])),
    results: new Map(), forceLedger: [],
    hooks: {
      onFailure(spec, kind, err) {
        deps.metrics.inc('postwarden_gateway_stage_failures_total', { stage: spec.name, kind });
        deps.logger.warn({ smtpSessionId: session.id, stage: spec.name, kind, err: err instanceof Error ? err.message.slice(0, 200) : String(err) }, 'pipeline stage failed');
      },
    },
  };
  for (const r of recipients) if (deps.ledger.has(run.keys.get(r)!)) run.results.set(r, { kind: 'already' });
  try {
    if (open(run).length) await inspectAndDeliver(run, raw, head);
  } catch (err) {
    // A step that escaped its stage: still nothing is lost, the sender retries.
    deps.logger.error({ smtpSessionId: session.id, err: err instanceof Error ? err.message.slice(0, 200) : String(err) }, 'pipeline error');
    failAll(run, recipients, err);
  }
  await confirmDatabase(run, started);
  return finish(run, performance.now() - started);
}

/**
 * "Database unreachable → 451, never 250": even a message served entirely from caches is
 * answered 250 only after the database answered once since it arrived. If it did not, what
 * was served is remembered so the sender's retry does not deliver it twice.
 */
async function confirmDatabase(run: MessageRun, since: number): Promise<void> {
  const served = run.recipients.filter((r) => {
    const k = run.results.get(r)?.kind;
    return k === 'delivered' || k === 'already' || k === 'quarantined' || k === 'report';
  });
  if (!served.length) return;
  try {
    await run.deps.dbWatch.confirm(since);
  } catch {
    for (const r of served) run.results.set(r, { kind: 'tempfail', text: '4.3.0 Temporary local problem (database), try again later' });
    run.forceLedger.push(...served);
  }
}

async function inspectAndDeliver(run: MessageRun, raw: Buffer, head: ReturnType<typeof parseHead>): Promise<void> {
  const { deps, specs, session, env } = run;
  let verdict: AuthVerdict;
  try {
    verdict = await runStage(specs.authenticate!, () => verifyMessage({
      raw, mailFrom: env.mailFrom, remoteAddress: session.remoteAddress, helo: session.helo, authservId: deps.authservId, resolver: deps.resolver,
    }), run.hooks);
  } catch (err) {
    return failAll(run, open(run), err);
  }

  // Sanitise: what we say about authentication is the only thing that claims our authserv-id.
  let stripped: Buffer;
  let ours: string;
  try {
    ({ stripped, ours } = await runStage(specs.sanitise!, () => {
      const forged = head.fields.filter((f) => f.name === 'authentication-results' && authservIdOf(f.value) === deps.authservId);
      const fields = verdict.fields + receivedField({
        helo: session.helo, remoteAddress: session.remoteAddress, hostname: deps.hostname, secure: session.secure,
        protocol: deps.config.smtpProtocol, sessionId: session.id, now: run.now,
      });
      return { stripped: removeFields(raw, forged), ours: withEol(fields, head.eol) };
    }, run.hooks));
  } catch (err) {
    return failAll(run, open(run), err);
  }

  // Reports: kept as received (plus our verdict), never stamped or blocked.
  const reportRcpts = open(run).filter((r) => deps.reportAddresses.has(r));
  if (reportRcpts.length) await takeReports(run, prependFields(stripped, ours), reportRcpts, verdict);

  const mailboxes = open(run);
  if (!mailboxes.length) return;
  // A sender can neither forge nor suppress a tip: look-alikes of ours go, after authentication.
  let clean: Buffer;
  try {
    clean = await runStage(specs.imitations!, () => prependFields(stripImitations(stripped), ours), run.hooks);
  } catch (err) {
    return failAll(run, mailboxes, err);
  }

  // Block rules, then the spoofed-system-mail rule, both before anything is delivered.
  try {
    const match = await runStage(specs.block!, () => deps.blockList.match(clean, { mailFrom: env.mailFrom, headerFrom: run.fromAddresses[0] ?? null }), run.hooks);
    if (match) {
      await holdInQuarantine(run, clean, mailboxes, { reason: 'blocked', ruleId: match.ruleId, detail: `block rule (${match.kind}: ${match.value})` });
      return;
    }
  } catch (err) {
    return failAll(run, mailboxes, err);
  }

  const platformDomain = deps.config.platformDomain;
  // Anything that claims to be the platform is held unless it is the genuine system mail.
  const claim = platformClaim(head.fields, platformDomain);
  const system = claim !== null;
  if (claim) {
    const fieldCounts = new Map<string, number>();
    for (const f of head.fields) fieldCounts.set(f.name, (fieldCounts.get(f.name) ?? 0) + 1);
    const facts = {
      fromFields: fieldCounts.get('from') ?? 0,
      fromAddresses: run.fromAddresses,
      toAddresses: fieldValues(head, 'to').flatMap(addressesIn),
      ccAddresses: fieldValues(head, 'cc').flatMap(addressesIn),
      fieldCounts,
      dkimPasses: verdict.dkimPasses,
    };
    const spoofed = new Map<string, string[]>();
    for (const r of mailboxes) {
      const problem = deps.dkim ? systemMailProblem(facts, r, { domain: platformDomain, selector: deps.dkim.selector }) : 'the platform has no DKIM key to check it with';
      if (problem) spoofed.set(problem, [...(spoofed.get(problem) ?? []), r]);
    }
    try {
      for (const [problem, list] of spoofed) {
        await holdInQuarantine(run, clean, list, { reason: 'spoofed-system-mail', ruleId: null, detail: `claims to be the platform (${claim}) but ${problem}` });
      }
    } catch (err) {
      return failAll(run, open(run, mailboxes), err);
    }
  }

  const toDeliver = open(run, mailboxes);
  if (!toDeliver.length) return;
  const sender = tipSender(run.fromAddresses, env.mailFrom);
  const authenticated = senderAuthenticated({
    fromDomain: domainOfAddress(sender), mailFromDomain: domainOfAddress(env.mailFrom), dmarcPass: verdict.dmarcPass,
    dkimPassDomains: verdict.dkimPasses.map((p) => p.domain), spfPass: verdict.spfPass,
  });
  // Genuine system mail is the one legitimate account-link email; everything else is scanned for lures.
  await deliverCopies(run, clean, toDeliver, { sender, authenticated, scanLure: !system, verdict });
}

async function finish(run: MessageRun, ms: number): Promise<Collapsed> {
  const { deps } = run;
  const ordered: RecipientResult[] = run.recipients.map((recipient) => ({ recipient, disposition: run.results.get(recipient) ?? { kind: 'tempfail', text: tempfailText(null) } }));
  const collapsed = collapse(ordered);
  const remember = deps.config.smtpProtocol === 'smtp' ? [...collapsed.servedButRefused, ...run.forceLedger] : run.forceLedger;
  if (remember.length) {
    const keys = [...new Set(remember)].map((r) => run.keys.get(r)!);
    // Kept in memory at once; the database copy lets other nodes skip them too.
    await deps.ledger.remember(keys, run.now).catch((err: unknown) => {
      deps.logger.warn({ smtpSessionId: run.session.id, err: err instanceof Error ? err.message : String(err) }, 'redelivery ledger not saved (kept in memory)');
    });
  }
  const counts: Record<string, number> = {};
  for (const r of ordered) counts[r.disposition.kind] = (counts[r.disposition.kind] ?? 0) + 1;
  for (const [result, n] of Object.entries(counts)) deps.metrics.inc('postwarden_gateway_recipients_total', { result }, n);
  deps.metrics.inc('postwarden_gateway_messages_total', { reply: `${String(collapsed.combined.code)[0]}xx` });
  const line = { smtpSessionId: run.session.id, size: run.size, recipients: ordered.length, reply: collapsed.combined.code, results: counts, ms: Math.round(ms) };
  if (collapsed.combined.code >= 400) deps.logger.info(line, 'message refused');
  else deps.logger.debug(line, 'message accepted');
  return collapsed;
}
