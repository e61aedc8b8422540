import assert from 'node:assert/strict';
import { type Socket, connect } from 'node:net';

/** A raw SMTP client on node:net: the reply lines as they come, and when the server hung up. */
export class SmtpTestClient {
  readonly lines: string[] = [];
  closed = false;
  private buf = '';
  private waiters: (() => void)[] = [];
  private constructor(readonly socket: Socket) {
    socket.on('data', (d) => {
      this.buf += d.toString('latin1');
      for (let i = this.buf.indexOf('\r\n'); i >= 0; i = this.buf.indexOf('\r\n')) {
        this.lines.push(this.buf.slice(0, i));
        this.buf = this.buf.slice(i + 2);
      }
      this.wake();
    });
    socket.on('close', () => { this.closed = true; this.wake(); });
    socket.on('error', () => undefined);
  }

  static open(port: number, localAddress = '127.0.0.1'): SmtpTestClient {
    return new SmtpTestClient(connect({ port, host: '127.0.0.1', localAddress }));
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves with the first reply line at or after index `from` that matches, or throws after `ms`. */
  async reply(re: RegExp, from = 0, ms = 5000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.lines.slice(from).find((l) => re.test(l));
      if (hit) return hit;
      if (this.closed) throw new Error(`closed without ${re}; got ${JSON.stringify(this.lines)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${re} within ${ms} ms; got ${JSON.stringify(this.lines)}`);
      await new Promise<void>((r) => { this.waiters.push(r); setTimeout(r, left).unref(); });
    }
  }

  async hangup(ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(this.closed, 'the server closed the connection');
  }

  write(s: string): void {
    this.socket.write(s);
  }

  end(): void {
    this.socket.destroy();
  }
}

