import SMTPConnection from 'nodemailer/lib/smtp-connection';

/**
 * A small pool of nodemailer SMTPConnections to one next hop. nodemailer's own pooled
 * transport composes every message anew (MIME tree, Message-ID, plugins) even when given
 * raw bytes — a few per cent of the gateway's CPU for nothing; this hands the bytes to the
 * connection as they are. A connection the server closes while idle leaves the pool at
 * once; one idle for `idleMs` is closed by us. Nothing is retried here: a failed send is
 * reported, the gateway answers 4xx, the sender retries.
 */

export interface PoolOptions {
  host: string;
  port: number;
  lmtp: boolean;
  max: number;
  name: string;
  timeoutMs: number;
  idleMs?: number;
}

export interface SendInfo {
  accepted: string[];
  rejected: string[];
  rejectedErrors?: (Error & { recipient?: string; responseCode?: number; response?: string })[];
  response?: string;
}

interface Conn {
  c: SMTPConnection;
  dead: boolean;
  idleTimer?: NodeJS.Timeout;
}

export class SmtpPool {
  private idle: Conn[] = [];
  private total = 0;
  private waiters: ((conn: Conn | Error) => void)[] = [];
  private closed = false;

  constructor(private readonly opts: PoolOptions) {}

  /**
   * Sends raw bytes to the recipients.
   * @throws the connection's error (with responseCode for a 4xx/5xx reply, rejectedErrors for refused recipients)
   */
  async send(envelope: { from: string; to: string[] }, raw: Buffer): Promise<SendInfo> {
    const conn = await this.acquire();
    try {
      const info = await new Promise<SendInfo>((resolve, reject) => {
        conn.c.send(envelope, raw, (err, info) => (err ? reject(err) : resolve(info as unknown as SendInfo)));
      });
      this.release(conn);
      return info;
    } catch (err) {
      const e = err as { code?: string; responseCode?: number };
      // The server refused this message; the session itself is fine once reset.
      if (!conn.dead && (e.code === 'EENVELOPE' || e.code === 'EMESSAGE') && e.responseCode !== 421) {
        conn.c.reset((resetErr) => (resetErr ? this.discard(conn) : this.release(conn)));
      } else {
        this.discard(conn);
      }
      throw err;
    }
  }

  close(): void {
    this.closed = true;
    for (const conn of this.idle.splice(0)) this.discard(conn);
    for (const w of this.waiters.splice(0)) w(new Error('next hop pool closed'));
  }

  private acquire(): Promise<Conn> {
    if (this.closed) return Promise.reject(new Error('next hop pool closed'));
    for (let conn = this.idle.pop(); conn; conn = this.idle.pop()) {
      clearTimeout(conn.idleTimer);
      if (!conn.dead) return Promise.resolve(conn);
    }
    if (this.total < this.opts.max) return this.open();
    return new Promise((resolve, reject) => {
      this.waiters.push((conn) => (conn instanceof Error ? reject(conn) : resolve(conn)));
    });
  }

  private open(): Promise<Conn> {
    this.total++;
    const c = new SMTPConnection({
      host: this.opts.host, port: this.opts.port, lmtp: this.opts.lmtp, name: this.opts.name, secure: false,
      connectionTimeout: this.opts.timeoutMs, greetingTimeout: this.opts.timeoutMs, socketTimeout: this.opts.timeoutMs,
    } as SMTPConnection.Options);
    const conn: Conn = { c, dead: false };
    const gone = (): void => {
      if (conn.dead) return;
      conn.dead = true;
      this.total--;
      clearTimeout(conn.idleTimer);
      this.idle = this.idle.filter((x) => x !== conn);
      this.wakeOne();
    };
    return new Promise((resolve, reject) => {
      let connected = false;
      // An error or close while idle (or during a send, which reports it too) retires the
      // connection; before the greeting it is the answer to open() (connect() then never calls back).
      const fail = (err?: Error): void => {
        gone();
        if (!connected) {
          connected = true;
          reject(err ?? new Error(`next hop ${this.opts.host}:${this.opts.port} closed the connection`));
        }
      };
      c.on('error', fail);
      c.on('end', () => fail());
      c.connect((err?: Error | null) => {
        if (connected) return;
        if (err) return fail(err);
        connected = true;
        resolve(conn);
      });
    });
  }

  private release(conn: Conn): void {
    if (conn.dead) return;
    if (this.closed) return this.discard(conn);
    const w = this.waiters.shift();
    if (w) return w(conn);
    conn.idleTimer = setTimeout(() => this.discard(conn), this.opts.idleMs ?? 30_000);
    conn.idleTimer.unref();
    this.idle.push(conn);
  }

  private discard(conn: Conn): void {
    if (!conn.dead) {
      try {
        conn.c.quit();
      } catch {
        conn.c.close();
      }
    }
    // 'end' follows and retires it; make sure even a connection that never emits it is counted out.
    if (!conn.dead) {
      conn.dead = true;
      this.total--;
      clearTimeout(conn.idleTimer);
      this.idle = this.idle.filter((x) => x !== conn);
      this.wakeOne();
    }
  }

  /** A waiter gets a fresh connection when one slot frees up. */
  private wakeOne(): void {
    if (this.closed || !this.waiters.length || this.total >= this.opts.max) return;
    const w = this.waiters.shift()!;
    this.open().then(w, (err: Error) => w(err));
  }
}
