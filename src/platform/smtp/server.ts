import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { ConnectionAdmission } from './admission.js';
import { createSessionGuard, type GuardedConnection, type SessionLimits } from './guard.js';

/**
 * The SMTP (or LMTP) listener: smtp-server with the gateway's defaults — no AUTH (this is
 * an inbound gateway), STARTTLS only with a certificate, a size limit answered 552, no
 * reverse DNS on the hot path. It buffers each message (up to the limit) and hands it to
 * `onMessage`, which answers per recipient; SMTP gets one combined reply, LMTP one per recipient.
 * Every session has a command and a session deadline (guard.ts), and `admission` limits the
 * connections one client address holds (admission.ts): beyond it, 421 4.7.0 and hang up.
 */

export interface Reply {
  code: number;
  /** Text after the code, with an enhanced status code first ("2.0.0 …"). */
  text: string;
}

/** Thrown by a handler to refuse a command with this reply. */
export class SmtpRefusal extends Error {
  constructor(readonly code: number, text: string) {
    super(text);
    this.name = 'SmtpRefusal';
  }
}

export interface SessionInfo {
  /** smtp-server's session id: the smtpSessionId of every log line. */
  id: string;
  remoteAddress: string;
  /** HELO/EHLO name. */
  helo: string;
  secure: boolean;
}

export interface ListenerHandlers {
  onMailFrom?(address: string, session: SessionInfo): Promise<void>;
  /** Resolves to accept the recipient; throws SmtpRefusal (or anything: 451) to refuse it. */
  onRcptTo(address: string, session: SessionInfo): Promise<void>;
  /** Never rejects in normal operation; a rejection is answered 451. */
  onMessage(raw: Buffer, envelope: { mailFrom: string; rcptTo: string[] }, session: SessionInfo): Promise<{ combined: Reply; perRecipient: Reply[] }>;
  onError?(err: unknown, session: SessionInfo | null): void;
}

export interface ListenerOptions {
  host: string;
  port: number;
  protocol: 'smtp' | 'lmtp';
  hostname: string;
  maxBytes: number;
  maxRecipients: number;
  tls?: { key: Buffer; cert: Buffer };
  trustXforward: boolean;
  /** Deadlines of every session (guard.ts). */
  limits: SessionLimits;
  /** Per-client-address connection limits; none: no limit. Counted by the TCP peer address. */
  admission?: ConnectionAdmission;
}

export interface SmtpListener {
  readonly host: string;
  readonly port: number;
  /** Stops accepting; resolves when open sessions have ended (or after `graceMs`). */
  close(graceMs?: number): Promise<void>;
}

function infoOf(s: SMTPServerSession): SessionInfo {
  return { id: s.id, remoteAddress: s.remoteAddress, helo: s.hostNameAppearsAs || '', secure: s.secure };
}

function errorOf(code: number, text: string): Error & { responseCode: number } {
  const e = new Error(text) as Error & { responseCode: number };
  e.responseCode = code;
  return e;
}

function refusalOf(err: unknown): Error & { responseCode: number } {
  if (err instanceof SmtpRefusal) return errorOf(err.code, err.message);
  return errorOf(451, '4.3.0 Temporary local problem, try again later');
}

/**
 * Starts listening. In a node:cluster worker the listening socket is shared with the other workers.
 * @throws Error when the address cannot be bound
 */
export async function startSmtpListener(opts: ListenerOptions, handlers: ListenerHandlers): Promise<SmtpListener> {
  const guard = createSessionGuard(opts.limits, opts.hostname);
  /** Client address each admitted session holds a slot of, by session id. */
  const admitted = new Map<string, string>();
  const connections = (): Set<GuardedConnection & { session?: SMTPServerSession }> =>
    (server as unknown as { connections: Set<GuardedConnection & { session?: SMTPServerSession }> }).connections;
  const disabled = ['AUTH'];
  if (!opts.tls) disabled.push('STARTTLS');
  const server = new SMTPServer({
    name: opts.hostname,
    banner: 'Postwarden',
    lmtp: opts.protocol === 'lmtp',
    size: opts.maxBytes,
    rejectOversized: true,
    maxRecipients: opts.maxRecipients,
    authOptional: true,
    disabledCommands: disabled,
    hideSTARTTLS: !opts.tls,
    key: opts.tls?.key,
    cert: opts.tls?.cert,
    disableReverseLookup: true,
    useXForward: opts.trustXforward,
    logger: false,
    closeTimeout: 30_000,
    onConnect(session: SMTPServerSession, cb: (err?: Error | null) => void) {
      const conn = [...connections()].find((c) => c.session === session);
      if (!conn) return cb(errorOf(421, '4.3.0 Temporary local problem, try again later'));
      const address = session.remoteAddress;
      (opts.admission ? opts.admission.acquire(address) : Promise.resolve(true)).then((ok) => {
        if (!ok) return cb(errorOf(421, '4.7.0 Too many connections from your address, try again later'));
        // The client may have gone while we asked; onClose has then found nothing to give back.
        if (conn._closing || conn._closed) return opts.admission?.release(address);
        if (opts.admission) admitted.set(session.id, address);
        guard.watch(conn);
        cb();
      }, (err: unknown) => {
        handlers.onError?.(err, infoOf(session));
        cb(errorOf(421, '4.3.0 Temporary local problem, try again later'));
      });
    },
    onClose(session: SMTPServerSession) {
      guard.forget(session.id);
      const address = admitted.get(session.id);
      if (address === undefined) return;
      admitted.delete(session.id);
      opts.admission?.release(address);
    },
    onMailFrom(address: SMTPServerAddress, session: SMTPServerSession, cb: (err?: Error | null) => void) {
      if (!handlers.onMailFrom) return cb();
      guard.busy(session.id, () => handlers.onMailFrom!(address.address, infoOf(session))).then(() => cb(), (err: unknown) => {
        if (!(err instanceof SmtpRefusal)) handlers.onError?.(err, infoOf(session));
        cb(refusalOf(err));
      });
    },
    onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, cb: (err?: Error | null) => void) {
      guard.busy(session.id, () => handlers.onRcptTo(address.address, infoOf(session))).then(() => cb(), (err: unknown) => {
        if (!(err instanceof SmtpRefusal)) handlers.onError?.(err, infoOf(session));
        cb(refusalOf(err));
      });
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, cb: (err?: Error | null, message?: string | (string | Error)[]) => void) {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        // Past the limit keep reading (smtp-server answers 552) but stop keeping.
        if (size <= opts.maxBytes) chunks.push(chunk);
        size += chunk.length;
      });
      // From the end of the body to our reply the session is busy: no deadline cuts a message in delivery.
      stream.on('end', () => void guard.busy(session.id, () => new Promise<void>((replied) => {
        if (stream.sizeExceeded || size > opts.maxBytes) {
          replied();
          return cb(errorOf(552, '5.3.4 Message too big'));
        }
        const envelope = {
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
        };
        const info = infoOf(session);
        handlers.onMessage(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size), envelope, info).then(
          ({ combined, perRecipient }) => {
            replied();
            if (opts.protocol === 'lmtp') {
              cb(null, perRecipient.map((r) => (r.code < 400 ? `${r.text}` : errorOf(r.code, r.text))));
            } else if (combined.code < 400) {
              cb(null, combined.text);
            } else {
              cb(errorOf(combined.code, combined.text));
            }
          },
          (err: unknown) => {
            replied();
            handlers.onError?.(err, info);
            cb(refusalOf(err));
          },
        );
      })));
      stream.on('error', (err: Error) => handlers.onError?.(err, infoOf(session)));
    },
  });
  server.on('error', (err: Error) => handlers.onError?.(err, null));
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.server.once('error', onError);
    server.listen(opts.port, opts.host, () => {
      server.server.off('error', onError);
      resolve();
    });
  });
  const bound = server.server.address() as AddressInfo | null;
  return {
    host: opts.host,
    port: bound?.port ?? opts.port,
    close(graceMs = 30_000) {
      // Sessions between transactions are told 421 at once (their MTA simply reconnects
      // elsewhere); a session in the middle of a message finishes it first.
      const conns = (server as unknown as { connections?: Set<{ session?: SMTPServerSession; _dataStream?: unknown; send(code: number, text: string): void; close(): void }> }).connections;
      const sweep = (): void => {
        for (const c of conns ?? []) {
          if (!c._dataStream && !c.session?.envelope?.mailFrom) {
            c.send(421, `${opts.hostname} Service closing, try again later`);
            c.close();
          }
        }
      };
      const sweeper = setInterval(sweep, 250);
      sweeper.unref();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          clearInterval(sweeper);
          guard.stop();
          resolve();
        });
        sweep();
      });
    },
  };
}
