import type { Config } from '../../platform/config/config.js';
import { served } from '../pipeline.run.js';
import type { MessageStage } from '../pipeline.stages.js';

/**
 * "Database unreachable → 451, never 250": even a message served entirely from caches is
 * answered 250 only after the database answered once since it arrived. If it did not, the
 * served recipients are answered 451 and remembered, so the sender's retry does not serve
 * them twice.
 */
export function databaseStage(config: Config): MessageStage {
  return {
    name: 'database', scope: 'message', timeoutMs: config.smtpStageTimeoutMs, onFailure: 'tempfail',
    concerns: served,
    async run(run) {
      await run.deps.dbWatch.confirm(run.arrived);
    },
  };
}
