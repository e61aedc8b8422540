import type { Config } from '../../platform/config/config.js';
import { Invalid } from '../../platform/errors/errors.js';
import { prependFields } from '../../platform/mail/mime/index.js';
import { ingestReportMail } from '../../reports/reports.gateway.js';
import { open } from '../pipeline.run.js';
import type { MessageStage } from '../pipeline.stages.js';

/**
 * Mail to a reporting address goes to the report store as received (plus our verdict),
 * never stamped, blocked or delivered, and durable before we answer 250. The reporter is
 * verified only when the message has exactly one From address, the sender verdict says
 * authenticated, and the address is an account's. A message the store refuses as invalid
 * gets 550; any other failure 451.
 */
export function reportsStage(config: Config): MessageStage {
  return {
    name: 'reports', scope: 'message', timeoutMs: config.smtpStageTimeoutMs, onFailure: 'tempfail',
    concerns: (run) => open(run).filter((r) => run.deps.reportAddresses.has(r)),
    async run(run) {
      const { deps, env, session } = run;
      const recipients = open(run).filter((r) => deps.reportAddresses.has(r));
      const sender = run.sender!;
      const account = sender.authenticated && run.fromAddresses.length === 1 ? await deps.directory.accountOf(sender.address) : null;
      try {
        const { reportId } = await ingestReportMail(deps.db, deps.config, run.now, prependFields(run.stripped!, run.ours!), {
          mailFrom: env.mailFrom, rcptTo: recipients, remoteAddress: session.remoteAddress, internalSenderAccountId: account?.id ?? null,
        });
        for (const r of recipients) run.results.set(r, { kind: 'report', reportId });
      } catch (err) {
        if (!(err instanceof Invalid)) throw err;
        for (const r of recipients) run.results.set(r, { kind: 'permfail', text: `5.6.0 ${err.message}`.slice(0, 300) });
      }
    },
  };
}
