import type { Config } from '../../platform/config/config.js';
import { prependFields } from '../../platform/mail/mime/index.js';
import { arcSealFields } from '../pipeline.auth.js';
import { open } from '../pipeline.run.js';
import type { CopyStage } from '../pipeline.stages.js';

/** With POSTWARDEN_ARC_SEAL=true and a platform DKIM key: an ARC set over the changed copy. */
export function sealStage(config: Config): CopyStage {
  return {
    name: 'seal', scope: 'copy', timeoutMs: config.smtpStageTimeoutMs, onFailure: 'tempfail',
    concerns: (copy) => (config.arcSeal && copy.run.deps.dkim ? open(copy.run, copy.recipients) : []),
    async run(copy) {
      const seal = await arcSealFields(copy.raw, copy.run.deps.dkim!, copy.run.auth!);
      copy.raw = prependFields(copy.raw, seal.toString('utf8'));
    },
  };
}
