import type { Config } from '../../platform/config/config.js';
import { stampTips } from '../../mailtips/stamp.js';
import { systemSender } from '../gateway.js';
import { open } from '../pipeline.run.js';
import type { CopyStage } from '../pipeline.stages.js';

/** One stamped copy per distinct tip (header and banner); a copy without a tip goes as it is. */
export function stampStage(config: Config): CopyStage {
  const options = { serviceName: config.serviceName, noReplyAddress: systemSender(config.platformDomain) };
  return {
    name: 'stamp', scope: 'copy', timeoutMs: config.smtpStageTimeoutMs, onFailure: 'tempfail',
    concerns: (copy) => (copy.decision ? open(copy.run, copy.recipients) : []),
    run(copy) {
      copy.raw = stampTips(copy.raw, copy.decision!, options);
    },
  };
}
