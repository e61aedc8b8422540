import type { Config } from '../../platform/config/config.js';
import { collapse } from '../gateway.js';
import { type MessageRun, replyResults } from '../pipeline.run.js';
import type { MessageStage } from '../pipeline.stages.js';

/**
 * Recipients the sender's retry must skip: served ones whose message is not answered 250
 * (SMTP only: LMTP answers each recipient), and those whose bookkeeping failed.
 */
function toRemember(run: MessageRun): string[] {
  const refused = run.deps.config.smtpProtocol === 'smtp' ? collapse(replyResults(run)).servedButRefused : [];
  return [...new Set([...refused, ...run.forceLedger])];
}

/**
 * Writes the keys to remember to the redelivery ledger: in memory at once, and in the
 * database so other nodes skip them too. When the database refuses, the pipeline carries on
 * ('skip'): this node still remembers them.
 */
export function rememberStage(config: Config): MessageStage {
  return {
    name: 'remember', scope: 'message', timeoutMs: config.smtpStageTimeoutMs, onFailure: 'skip',
    concerns: toRemember,
    async run(run) {
      await run.deps.ledger.remember(toRemember(run).map((r) => run.keys.get(r)!), run.now);
    },
  };
}
