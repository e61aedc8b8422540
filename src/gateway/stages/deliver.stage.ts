import type { Config } from '../../platform/config/config.js';
import { open } from '../pipeline.run.js';
import type { CopyStage } from '../pipeline.stages.js';

/**
 * Hands the copy to the next hop, per recipient (4xx or no connection → 451, 5xx → 550).
 * The limit is the relay timeout plus 5 s. A copy the next hop took after we gave up
 * waiting is remembered in the redelivery ledger: the sender retries, and must not get it twice.
 */
export function deliverStage(config: Config): CopyStage {
  return {
    name: 'deliver', scope: 'copy', timeoutMs: config.relayTimeoutMs + 5000, onFailure: 'tempfail',
    concerns: (copy) => open(copy.run, copy.recipients),
    async run(copy, signal) {
      const { run } = copy;
      const recipients = open(run, copy.recipients);
      const keys = recipients.map((r) => run.keys.get(r)!);
      const outcomes = await run.deps.nextHop.deliver({ mailFrom: run.env.mailFrom, recipients, raw: copy.raw, keys });
      if (signal.expired) {
        const done = outcomes.filter((x) => x.ok).map((x) => run.keys.get(x.recipient.toLowerCase())).filter((k): k is string => !!k);
        if (done.length) {
          run.deps.ledger.remember(done, new Date()).catch((err: unknown) => {
            run.deps.logger.warn({ smtpSessionId: run.session.id, err: err instanceof Error ? err.message : String(err) }, 'late delivery: redelivery ledger not saved (kept in memory)');
          });
        }
        return;
      }
      for (const out of outcomes) {
        const r = out.recipient.toLowerCase();
        if (out.ok) {
          run.results.set(r, { kind: 'delivered' });
          run.delivered.push(r);
        } else {
          run.results.set(r, out.temporary ? { kind: 'tempfail', text: out.text.startsWith('4.') ? out.text : `4.4.0 ${out.text}` } : { kind: 'permfail', text: out.text.startsWith('5.') ? out.text : `5.0.0 ${out.text}` });
        }
      }
    },
  };
}
