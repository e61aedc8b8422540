import type { Config } from '../../platform/config/config.js';
import { addressesIn, fieldValues } from '../../platform/mail/mime/index.js';
import { systemMailProblem } from '../gateway.js';
import { platformClaim } from '../lookalike.js';
import { type Hold, unheld } from '../pipeline.run.js';
import type { MessageStage } from '../pipeline.stages.js';

/**
 * Anything that claims to be the platform (`platformClaim`) is held for each recipient for
 * whom it is not the genuine system mail (`systemMailProblem`: the platform's DKIM signature,
 * from the authenticate stage's results, over a sealed header, to that recipient alone).
 */
export function spoofStage(config: Config): MessageStage {
  const platformDomain = config.platformDomain;
  return {
    name: 'spoof', scope: 'message', timeoutMs: config.smtpStageTimeoutMs, onFailure: 'tempfail',
    concerns: (run) => unheld(run),
    run(run) {
      const { head, deps } = run;
      const claim = platformClaim(head.fields, platformDomain);
      if (!claim) return;
      run.claimsPlatform = true;
      const fieldCounts = new Map<string, number>();
      for (const f of head.fields) fieldCounts.set(f.name, (fieldCounts.get(f.name) ?? 0) + 1);
      const facts = {
        fromFields: fieldCounts.get('from') ?? 0,
        fromAddresses: run.fromAddresses,
        toAddresses: fieldValues(head, 'to').flatMap(addressesIn),
        ccAddresses: fieldValues(head, 'cc').flatMap(addressesIn),
        fieldCounts,
        dkimPasses: run.auth!.dkimPasses,
      };
      const spoofed = new Map<string, Hold>();
      for (const r of unheld(run)) {
        const problem = deps.dkim ? systemMailProblem(facts, r, { domain: platformDomain, selector: deps.dkim.selector }) : 'the platform has no DKIM key to check it with';
        if (!problem) continue;
        const hold = spoofed.get(problem) ?? { reason: 'spoofed-system-mail', ruleId: null, detail: `claims to be the platform (${claim}) but ${problem}`, recipients: [] };
        hold.recipients.push(r);
        spoofed.set(problem, hold);
      }
      run.held.push(...spoofed.values());
    },
  };
}
