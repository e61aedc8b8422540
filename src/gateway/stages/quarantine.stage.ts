import type { Config } from '../../platform/config/config.js';
import { newId } from '../../platform/ids.js';
import { decodeWords } from '../../platform/mail/mime/index.js';
import { deliveryKey } from '../gateway.js';
import { insertQuarantine } from '../gateway.repo.js';
import { open } from '../pipeline.run.js';
import type { MessageStage } from '../pipeline.stages.js';

/**
 * Keeps each held message in the database instead of delivering it (the sender gets 250 and
 * learns nothing). Never 250 for mail we did not keep: if storing fails, every recipient
 * still open is answered 451, held or not.
 */
export function quarantineStage(config: Config): MessageStage {
  return {
    name: 'quarantine', scope: 'message', timeoutMs: config.smtpStageTimeoutMs, onFailure: 'tempfail',
    concerns: (run) => (run.held.length ? open(run) : []),
    async run(run) {
      const { deps, session } = run;
      for (const hold of run.held) {
        const recipients = open(run, hold.recipients);
        if (!recipients.length) continue;
        const id = await insertQuarantine(deps.db, {
          id: newId(run.now.getTime()),
          messageKey: deliveryKey(deps.hmacKey, run.digest, `${hold.reason}:${recipients.join(',')}`),
          receivedAt: run.now.toISOString(),
          reason: hold.reason,
          ruleId: hold.ruleId,
          detail: hold.detail.slice(0, 500),
          mailFrom: run.env.mailFrom,
          headerFrom: run.fromAddresses[0] ?? null,
          recipients,
          subject: run.subject === null ? null : decodeWords(run.subject).slice(0, 300),
          messageId: run.messageId?.slice(0, 300) ?? null,
          size: run.clean!.length,
          remoteAddress: session.remoteAddress,
          smtpSessionId: session.id,
          raw: run.clean!,
        });
        for (const r of recipients) run.results.set(r, { kind: 'quarantined', id });
        deps.metrics.inc('postwarden_gateway_quarantined_total', { reason: hold.reason });
        deps.logger.info({ smtpSessionId: session.id, quarantineId: id, reason: hold.reason, ruleId: hold.ruleId, recipients: recipients.length }, 'message quarantined');
      }
    },
  };
}
