import type { Config } from '../../platform/config/config.js';
import { open } from '../pipeline.run.js';
import type { MessageStage } from '../pipeline.stages.js';

/** CSOC block rules (held in memory, refreshed within seconds): a match holds the message for every mailbox. */
export function blockStage(config: Config): MessageStage {
  return {
    name: 'block', scope: 'message', timeoutMs: config.smtpStageTimeoutMs, onFailure: 'tempfail',
    concerns: (run) => open(run),
    run(run) {
      const match = run.deps.blockList.match(run.clean!, { mailFrom: run.env.mailFrom, headerFrom: run.fromAddresses[0] ?? null });
      if (match) run.held.push({ reason: 'blocked', ruleId: match.ruleId, detail: `block rule (${match.kind}: ${match.value})`, recipients: open(run) });
    },
  };
}
