import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A message as the sink received it. */
export interface SunkMessage {
  from: string;
  to: string[];
  raw: Buffer;
}

/**
 * A real SMTP server on a free loopback port, to stand for a smarthost or next hop in tests:
 * what it accepts is recorded, and faults are injected at the SMTP boundary (refuse the
 * next recipients with a permanent 554). No AUTH, no TLS.
 */
export interface SmtpSink {
  readonly port: number;
  /** `smtp://127.0.0.1:<port>`, for `smarthostUrl` or a relay setting. */
  readonly url: string;
  readonly messages: SunkMessage[];
  /** Refuse every recipient with 554 until set back to false. */
  refuse: boolean;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: SunkMessage[] = [];
  const state = { refuse: false };
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false, disableReverseLookup: true,
    onRcptTo(_address, _session, cb) {
      if (state.refuse) return cb(Object.assign(new Error('5.7.1 refused by the test sink'), { responseCode: 554 }));
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        messages.push({ from, to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()), raw: Buffer.concat(chunks) });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    get refuse() { return state.refuse; },
    set refuse(v: boolean) { state.refuse = v; },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
