import type { Config } from '../../platform/config/config.js';
import { removeFields, withEol } from '../../platform/mail/mime/index.js';
import { authservIdOf, receivedField } from '../gateway.js';
import { open } from '../pipeline.run.js';
import type { MessageStage } from '../pipeline.stages.js';

/**
 * What we say about authentication is the only thing that claims our authserv-id: inbound
 * Authentication-Results fields claiming it go; ours (and a Received field) are prepared.
 */
export function sanitiseStage(config: Config): MessageStage {
  return {
    name: 'sanitise', scope: 'message', timeoutMs: config.smtpStageTimeoutMs, onFailure: 'tempfail',
    concerns: (run) => open(run),
    run(run) {
      const { deps, session, head } = run;
      const forged = head.fields.filter((f) => f.name === 'authentication-results' && authservIdOf(f.value) === deps.authservId);
      const fields = run.auth!.fields + receivedField({
        helo: session.helo, remoteAddress: session.remoteAddress, hostname: deps.hostname, secure: session.secure,
        protocol: deps.config.smtpProtocol, sessionId: session.id, now: run.now,
      });
      run.stripped = removeFields(run.raw, forged);
      run.ours = withEol(fields, head.eol);
    },
  };
}
