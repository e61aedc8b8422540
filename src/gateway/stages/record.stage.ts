import type { Config } from '../../platform/config/config.js';
import type { MessageRun } from '../pipeline.run.js';
import type { MessageStage } from '../pipeline.stages.js';

/** Delivered recipients whose sender history counts this message (not exempt). */
function recorded(run: MessageRun): string[] {
  return run.delivered.filter((r) => run.history.has(r));
}

/**
 * The sender history learns what the next hop accepted. If it cannot (database down), the
 * delivered recipients are answered 451 and remembered, so the retry delivers nothing twice.
 */
export function recordStage(config: Config): MessageStage {
  return {
    name: 'record', scope: 'message', timeoutMs: config.smtpStageTimeoutMs, onFailure: 'tempfail',
    concerns: recorded,
    async run(run) {
      await run.deps.mailtips.recordDelivered(recorded(run), run.sender!.address, run.now);
    },
  };
}
