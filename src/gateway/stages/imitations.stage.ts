import type { Config } from '../../platform/config/config.js';
import { prependFields } from '../../platform/mail/mime/index.js';
import { stripImitations } from '../../mailtips/stamp.js';
import { open } from '../pipeline.run.js';
import type { MessageStage } from '../pipeline.stages.js';

/** A sender can neither forge nor suppress a tip: look-alikes of ours go, then our fields go on top. */
export function imitationsStage(config: Config): MessageStage {
  return {
    name: 'imitations', scope: 'message', timeoutMs: config.smtpStageTimeoutMs, onFailure: 'tempfail',
    concerns: (run) => open(run),
    run(run) {
      run.clean = prependFields(stripImitations(run.stripped!), run.ours!);
    },
  };
}
