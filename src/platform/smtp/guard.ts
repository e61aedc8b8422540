/**
 * Deadlines of an SMTP session, so a client cannot hold a connection by trickling bytes:
 * - the command deadline: a client has `commandTimeoutMs` from our last reply to send its next
 *   complete command line (Postfix's smtpd_timeout with smtpd_per_record_deadline); a byte
 *   every few seconds no longer keeps a session alive. It does not run while the client sends
 *   a message body (the session deadline bounds that) or while we are working on a command.
 * - the session deadline: `sessionTimeoutMs` from the connection. Past it the session is told
 *   421 at its next command boundary. It never cuts what we are working on: a command whose
 *   handler runs, or a message whose body was received and is being delivered, finishes and
 *   gets its reply first, so nothing accepted is lost.
 * Both end the session with 421 4.4.2, a temporary failure: the sender retries.
 */

/** The parts of smtp-server's SMTPConnection the guard uses (private in the library). */
export interface GuardedConnection {
  id: string;
  _dataStream?: unknown;
  _closing?: boolean;
  _closed?: boolean;
  _onCommand(command: Buffer, callback?: () => void): void;
  send(code: number, text: string, context?: false): void;
  close(): void;
}

export interface SessionLimits {
  sessionTimeoutMs: number;
  commandTimeoutMs: number;
}

export interface SessionGuard {
  /** Starts the clocks of a connection about to be greeted and checks its every command. */
  watch(conn: GuardedConnection): void;
  /** Runs `work` with the session marked busy on our side: no deadline ends it meanwhile. */
  busy<T>(sessionId: string, work: () => Promise<T>): Promise<T>;
  /** Forgets a closed connection. */
  forget(sessionId: string): void;
  stop(): void;
}

interface State {
  conn: GuardedConnection;
  startedAt: number;
  /** When we last replied or the client last completed a command line. */
  lastActivity: number;
  busy: number;
}

/** A guard that checks its sessions every tick (a tenth of the shorter deadline, 20 ms – 1 s). */
export function createSessionGuard(limits: SessionLimits, hostname: string, now: () => number = Date.now): SessionGuard {
  const states = new Map<string, State>();
  const expire = (s: State, why: 'session' | 'command'): void => {
    if (s.conn._closing || s.conn._closed) return;
    s.conn.send(421, `4.4.2 ${hostname} Error: ${why === 'session' ? 'session time limit' : 'timeout'} exceeded, closing connection`, false);
    s.conn.close();
  };
  const sessionOver = (s: State): boolean => now() - s.startedAt >= limits.sessionTimeoutMs;
  const sweep = (): void => {
    for (const s of states.values()) {
      if (s.busy > 0 || s.conn._closing || s.conn._closed) continue;
      if (sessionOver(s)) expire(s, 'session');
      else if (!s.conn._dataStream && now() - s.lastActivity >= limits.commandTimeoutMs) expire(s, 'command');
    }
  };
  const tick = Math.max(20, Math.min(1000, Math.floor(Math.min(limits.sessionTimeoutMs, limits.commandTimeoutMs) / 10)));
  const timer = setInterval(sweep, tick);
  timer.unref();

  return {
    watch(conn) {
      const s: State = { conn, startedAt: now(), lastActivity: now(), busy: 0 };
      states.set(conn.id, s);
      const handle = conn._onCommand.bind(conn);
      conn._onCommand = (command, callback) => {
        if (sessionOver(s)) {
          // A command boundary past the deadline: refuse it and end the session. The parser is
          // closed by then, so the callback only lets it drop what was pipelined after.
          expire(s, 'session');
          callback?.();
          return;
        }
        s.lastActivity = now();
        handle(command, callback && (() => {
          s.lastActivity = now();
          callback();
        }));
      };
    },
    async busy(sessionId, work) {
      const s = states.get(sessionId);
      if (s) s.busy++;
      try {
        return await work();
      } finally {
        if (s) {
          s.busy--;
          s.lastActivity = now();
        }
      }
    },
    forget(sessionId) {
      states.delete(sessionId);
    },
    stop() {
      clearInterval(timer);
      states.clear();
    },
  };
}
