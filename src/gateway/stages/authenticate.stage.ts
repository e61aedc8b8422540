import type { Config } from '../../platform/config/config.js';
import { senderVerdict } from '../gateway.js';
import { verifyMessage } from '../pipeline.auth.js';
import { open } from '../pipeline.run.js';
import type { MessageStage } from '../pipeline.stages.js';

/**
 * SPF, DKIM, DMARC and ARC on the bytes exactly as received (before any change), and the
 * one sender verdict of the message (`senderVerdict`) every later stage uses. DNS waits
 * count against the limit.
 */
export function authenticateStage(config: Config): MessageStage {
  return {
    name: 'authenticate', scope: 'message', timeoutMs: config.smtpStageTimeoutMs, onFailure: 'tempfail',
    concerns: (run) => open(run),
    async run(run) {
      const { deps, session, env } = run;
      const auth = await verifyMessage({
        raw: run.raw, mailFrom: env.mailFrom, remoteAddress: session.remoteAddress, helo: session.helo, authservId: deps.authservId, resolver: deps.resolver,
      });
      run.auth = auth;
      run.sender = senderVerdict({
        fromAddresses: run.fromAddresses, mailFrom: env.mailFrom, dmarcPass: auth.dmarcPass, dkimPassDomains: auth.dkimPasses.map((p) => p.domain), spfPass: auth.spfPass,
      });
    },
  };
}
