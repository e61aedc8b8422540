import { deliverIdempotent } from './maildir-hop.js';
import { SmtpPool } from './pool.js';

/**
 * The next hop behind the gateway: an SMTP or LMTP mail store over pooled connections (pool.ts),
 * or the embedded Maildir store. Every outcome is per recipient; nothing here retries
 * (the sender's MTA does, on the 4xx the gateway gives).
 */

export interface DeliveryJob {
  mailFrom: string;
  recipients: readonly string[];
  raw: Buffer;
  /** Per recipient: a stable key for this (message, recipient), so a store that can refuses a second copy. */
  keys: readonly string[];
}

export interface DeliveryOutcome {
  recipient: string;
  ok: boolean;
  /** For a failure: true when the next hop said 4xx or could not be reached. */
  temporary: boolean;
  code: number;
  text: string;
}

export interface NextHop {
  /** 'maildir:<root>', 'smtp://host:port' or 'lmtp://host:port' (for logs). */
  readonly description: string;
  /** Delivers one copy to `recipients`; resolves with an outcome for each, never rejects. */
  deliver(job: DeliveryJob): Promise<DeliveryOutcome[]>;
  close(): Promise<void>;
}

export interface NextHopOptions {
  relay?: string;
  maildirRoot: string;
  poolSize: number;
  timeoutMs: number;
  /** Our name in EHLO/LHLO. */
  hostname: string;
}

/** Opens the configured next hop. Connections are made on first use. */
export function openNextHop(opts: NextHopOptions): NextHop {
  if (!opts.relay) return maildirHop(opts.maildirRoot);
  const u = new URL(opts.relay);
  return relayHop(u.protocol === 'lmtp:' ? 'lmtp' : 'smtp', u.hostname.replace(/^\[|\]$/g, ''), Number(u.port), opts);
}

function maildirHop(root: string): NextHop {
  return {
    description: `maildir:${root}`,
    async deliver(job) {
      return Promise.all(job.recipients.map(async (recipient, i): Promise<DeliveryOutcome> => {
        try {
          const trace = `Return-Path: <${job.mailFrom}>\r\nDelivered-To: ${recipient}\r\n`;
          await deliverIdempotent(root, recipient, job.keys[i]!, Buffer.concat([Buffer.from(trace), job.raw]));
          return { recipient, ok: true, temporary: false, code: 250, text: 'delivered' };
        } catch (err) {
          // A file-system failure is temporary: the sender retries, nothing is lost.
          return { recipient, ok: false, temporary: true, code: 451, text: `4.3.0 mail store unavailable (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
        }
      }));
    },
    async close() {},
  };
}

interface SmtpError extends Error {
  responseCode?: number;
  response?: string;
  recipient?: string;
  rejectedErrors?: SmtpError[];
}

function outcomeOfError(recipient: string, err: SmtpError): DeliveryOutcome {
  const code = err.responseCode ?? 451;
  const reply = (err.response ?? '').replace(/^\d{3}[ -]/, '').slice(0, 200);
  return {
    recipient,
    ok: false,
    temporary: code < 500,
    code: code < 500 ? 451 : 550,
    text: reply || (code < 500 ? '4.4.1 next hop unavailable' : '5.1.1 refused by the mail store'),
  };
}

function relayHop(protocol: 'smtp' | 'lmtp', host: string, port: number, opts: NextHopOptions): NextHop {
  const pool = new SmtpPool({ host, port, lmtp: protocol === 'lmtp', max: opts.poolSize, name: opts.hostname, timeoutMs: opts.timeoutMs });
  return {
    description: `${protocol}://${host}:${port}`,
    async deliver(job) {
      try {
        const info = await pool.send({ from: job.mailFrom, to: [...job.recipients] }, job.raw);
        const failed = new Map<string, SmtpError>();
        for (const e of info.rejectedErrors ?? []) if (e.recipient) failed.set(e.recipient.toLowerCase(), e);
        for (const r of info.rejected ?? []) if (!failed.has(r.toLowerCase())) failed.set(r.toLowerCase(), { name: 'Error', message: 'rejected', responseCode: 550 });
        return job.recipients.map((recipient) => {
          const e = failed.get(recipient.toLowerCase());
          return e ? outcomeOfError(recipient, e) : { recipient, ok: true, temporary: false, code: 250, text: 'delivered' };
        });
      } catch (err) {
        const e = err as SmtpError;
        const per = new Map<string, SmtpError>();
        for (const r of e.rejectedErrors ?? []) if (r.recipient) per.set(r.recipient.toLowerCase(), r);
        return job.recipients.map((recipient) => outcomeOfError(recipient, per.get(recipient.toLowerCase()) ?? e));
      }
    },
    async close() {
      pool.close();
    },
  };
}
