import type { Config } from '../../platform/config/config.js';
import { scanAccountLinkLure } from '../../mailtips/lure.js';
import { type TipDecision, tipKey } from '../../mailtips/mailtips.js';
import { type CopyRun, open } from '../pipeline.run.js';
import type { MessageStage } from '../pipeline.stages.js';

/**
 * First-contact / low-volume decisions per recipient from the sender history, given the
 * sender verdict (only an authenticated sender can be exempt), and the account-link lure
 * check for any mail but genuine system mail. Recipients with the same tip share one copy.
 */
export function tipsStage(config: Config): MessageStage {
  return {
    name: 'tips', scope: 'message', timeoutMs: config.smtpStageTimeoutMs, onFailure: 'tempfail',
    concerns: (run) => open(run),
    async run(run) {
      const recipients = open(run);
      const clean = run.clean!;
      const sender = run.sender!;
      const decisions = await run.deps.mailtips.decide(recipients, sender.address, run.now, { authenticated: sender.authenticated });
      if (!run.claimsPlatform && scanAccountLinkLure(clean)) for (const d of decisions) d.accountLinkWarning = true;
      const copies = new Map<string, CopyRun>();
      recipients.forEach((r, i) => {
        const d: TipDecision = decisions[i]!;
        const key = tipKey(d);
        const copy = copies.get(key) ?? { run, decision: key ? d : null, recipients: [], raw: clean };
        copy.recipients.push(r);
        copies.set(key, copy);
        if (d.exempt === null) run.history.add(r);
      });
      run.copies = [...copies.values()];
    },
  };
}
