import { addressesIn, fieldValue, fieldValues, parseHead } from '../platform/mail/mime/index.js';
import type { SessionInfo } from '../platform/smtp/server.js';
import { type StagePolicy, applyStage } from '../platform/smtp/stages.js';
import { type Collapsed, collapse, deliveryKey, messageDigest } from './gateway.js';
import { type CopyRun, type Envelope, type MessageRun, type PipelineDeps, failAll, open, replyResults } from './pipeline.run.js';
import type { GatewayStageOf } from './pipeline.stages.js';

export type { Envelope, PipelineDeps };

/**
 * The inbound pipeline, one message at a time: the stages of `deps.stages`
 * (pipeline.stages.ts) in order, each under its time limit and failure policy. Every
 * recipient ends with a disposition; collapse() turns them into the SMTP reply.
 */

/**
 * Runs one message through the pipeline. Never rejects: every failure becomes a disposition.
 * @returns the SMTP reply and the per-recipient (LMTP) replies
 */
export async function processMessage(deps: PipelineDeps, raw: Buffer, env: Envelope, session: SessionInfo): Promise<Collapsed> {
  const run = openRun(deps, raw, env, session);
  await inspectAndDeliver(run);
  return finish(run, performance.now() - run.arrived);
}

function openRun(deps: PipelineDeps, raw: Buffer, env: Envelope, session: SessionInfo): MessageRun {
  const arrived = performance.now();
  const head = parseHead(raw);
  const messageId = fieldValue(head, 'message-id');
  const recipients = [...new Set(env.rcptTo.map((r) => r.toLowerCase()))];
  const digest = messageDigest(env.mailFrom, messageId, raw, head.bodyStart);
  const run: MessageRun = {
    deps, session, env, now: deps.clock.now(), arrived, raw, head, recipients, digest, messageId,
    subject: fieldValue(head, 'subject'),
    fromAddresses: fieldValues(head, 'from').flatMap(addressesIn),
    keys: new Map(recipients.map((r) => [r, deliveryKey(deps.hmacKey, digest, r)])),
    results: new Map(), forceLedger: [], held: [], claimsPlatform: false, copies: [], history: new Set(), delivered: [],
    hooks: {
      onFailure(spec, kind, err) {
        deps.metrics.inc('postwarden_gateway_stage_failures_total', { stage: spec.name, kind });
        deps.logger.warn({ smtpSessionId: session.id, stage: spec.name, kind, err: err instanceof Error ? err.message.slice(0, 200) : String(err) }, 'pipeline stage failed');
      },
    },
  };
  // Served by an earlier attempt of the same message (the redelivery ledger, in memory).
  for (const r of recipients) if (deps.ledger.has(run.keys.get(r)!)) run.results.set(r, { kind: 'already' });
  return run;
}

/** Each stage in order: a message stage once, a copy stage on every copy at once. */
async function inspectAndDeliver(run: MessageRun): Promise<void> {
  for (const stage of run.deps.stages) {
    if (stage.scope === 'message') await runOn(stage, run, run);
    else await Promise.all(run.copies.map((copy) => runOn(stage, copy, run)));
  }
}

/** One stage on one context under the stage's policy; nothing escapes, so the later stages still run. */
async function runOn<C extends MessageRun | CopyRun>(stage: GatewayStageOf<C>, c: C, run: MessageRun): Promise<void> {
  const policy: StagePolicy<GatewayStageOf<C>> = {
    applies: (s) => s.concerns(c).length > 0,
    failed: (s, err) => failAll(run, s.concerns(c), err),
    hooks: run.hooks,
  };
  try {
    await applyStage(stage, c, policy);
  } catch (err) {
    // Only a fault of the pipeline itself gets here: still nothing is lost, the sender retries.
    run.deps.logger.error({ smtpSessionId: run.session.id, stage: stage.name, err: err instanceof Error ? err.message.slice(0, 200) : String(err) }, 'pipeline error');
    failAll(run, open(run), err);
  }
}

function finish(run: MessageRun, ms: number): Collapsed {
  const { deps } = run;
  const ordered = replyResults(run);
  const collapsed = collapse(ordered);
  const counts: Record<string, number> = {};
  for (const r of ordered) counts[r.disposition.kind] = (counts[r.disposition.kind] ?? 0) + 1;
  for (const [result, n] of Object.entries(counts)) deps.metrics.inc('postwarden_gateway_recipients_total', { result }, n);
  deps.metrics.inc('postwarden_gateway_messages_total', { reply: `${String(collapsed.combined.code)[0]}xx` });
  const line = { smtpSessionId: run.session.id, size: run.raw.length, recipients: ordered.length, reply: collapsed.combined.code, results: counts, ms: Math.round(ms) };
  if (collapsed.combined.code >= 400) deps.logger.info(line, 'message refused');
  else deps.logger.debug(line, 'message accepted');
  return collapsed;
}
