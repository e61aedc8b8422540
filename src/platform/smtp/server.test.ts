import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createAddressCounter, localAdmission } from './admission.js';
import { SmtpTestClient as Client } from '../testing/smtpclient.js';
import { type ListenerHandlers, type SmtpListener, startSmtpListener } from './server.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function handlers(messageDelayMs = 0): ListenerHandlers {
  return {
    async onRcptTo() {},
    async onMessage() {
      await sleep(messageDelayMs);
      return { combined: { code: 250, text: '2.0.0 Delivered' }, perRecipient: [{ code: 250, text: '2.0.0 Delivered' }] };
    },
  };
}

async function listen(limits: { sessionTimeoutMs: number; commandTimeoutMs: number }, extra: { perClient?: number; messageDelayMs?: number } = {}): Promise<SmtpListener> {
  return startSmtpListener({
    host: '127.0.0.1', port: 0, protocol: 'smtp', hostname: 'gw.example', maxBytes: 1024 * 1024, maxRecipients: 10, trustXforward: false, limits,
    admission: extra.perClient ? localAdmission(createAddressCounter(extra.perClient)) : undefined,
  }, handlers(extra.messageDelayMs));
}

describe('SMTP session deadlines [real listener, node:net clients]', () => {
  test('a client trickling one byte at a time is told 421 4.4.2 once the command deadline passes', async () => {
    const l = await listen({ sessionTimeoutMs: 30_000, commandTimeoutMs: 600 });
    try {
      const c = Client.open(l.port);
      await c.reply(/^220 /);
      const started = Date.now();
      const drip = setInterval(() => { if (!c.closed) c.write('E'); }, 100);
      try {
        assert.match(await c.reply(/^421 /), /^421 4\.4\.2 gw\.example Error: timeout exceeded/);
        await c.hangup();
      } finally {
        clearInterval(drip);
      }
      const took = Date.now() - started;
      assert.ok(took >= 550 && took < 2500, `cut after ${took} ms, the deadline is 600 ms`);
      assert.deepEqual(c.lines.filter((x) => !x.startsWith('220')).length, 1, 'nothing but the 421 after the greeting');
    } finally {
      await l.close(100);
    }
  });

  test('a session of prompt commands still ends with 421 4.4.2 at the session deadline', async () => {
    const l = await listen({ sessionTimeoutMs: 900, commandTimeoutMs: 500 });
    try {
      const c = Client.open(l.port);
      await c.reply(/^220 /);
      const started = Date.now();
      const noop = setInterval(() => { if (!c.closed) c.write('NOOP\r\n'); }, 100);
      try {
        assert.match(await c.reply(/^421 /), /^421 4\.4\.2 gw\.example Error: session time limit exceeded/);
        await c.hangup();
      } finally {
        clearInterval(noop);
      }
      const took = Date.now() - started;
      assert.ok(took >= 800 && took < 2500, `ended after ${took} ms, the session deadline is 900 ms`);
      const between = c.lines.slice(1, -1);
      assert.ok(between.length > 0 && between.every((x) => /^250 /.test(x)), `the NOOPs were answered until then: ${JSON.stringify(between)}`);
    } finally {
      await l.close(100);
    }
  });

  test('a message in delivery when the session deadline passes gets its 250; the 421 comes after it', async () => {
    const l = await listen({ sessionTimeoutMs: 700, commandTimeoutMs: 5000 }, { messageDelayMs: 1500 });
    try {
      const c = Client.open(l.port);
      await c.reply(/^220 /);
      for (const line of ['EHLO client.example', 'MAIL FROM:<a@sender.example>', 'RCPT TO:<b@gw.example>']) {
        const n = c.lines.length;
        c.write(`${line}\r\n`);
        await c.reply(/^250 /, n);
      }
      c.write('DATA\r\n');
      await c.reply(/^354 /);
      c.write('Subject: hi\r\n\r\nHello.\r\n.\r\n');
      const delivered = await c.reply(/^250 2\.0\.0 Delivered/, 0, 5000);
      assert.ok(delivered);
      c.write('NOOP\r\n');
      await c.reply(/^421 4\.4\.2 gw\.example Error: session time limit exceeded/);
      await c.hangup();
      const i = c.lines.findIndex((x) => x.startsWith('250 2.0.0 Delivered'));
      assert.match(c.lines[i + 1] ?? '', /^421 4\.4\.2/, 'the line after the 250 is the 421');
      assert.equal(c.lines.filter((x) => x.startsWith('421')).length, 1);
    } finally {
      await l.close(100);
    }
  });
});

describe('SMTP connections per client address [real listener, node:net clients]', () => {
  let l: SmtpListener;
  before(async () => { l = await listen({ sessionTimeoutMs: 30_000, commandTimeoutMs: 30_000 }, { perClient: 3 }); });
  after(() => l.close(100));

  test('the 4th connection from one address gets 421 4.7.0; another address still connects; a closed one frees its slot', async () => {
    const held = [Client.open(l.port), Client.open(l.port), Client.open(l.port)];
    for (const c of held) assert.match(await c.reply(/^\d{3} /), /^220 /);
    const fourth = Client.open(l.port);
    assert.equal(await fourth.reply(/^\d{3} /), '421 4.7.0 Too many connections from your address, try again later');
    await fourth.hangup();
    const other = Client.open(l.port, '127.0.0.2');
    assert.match(await other.reply(/^\d{3} /), /^220 /, 'another address is not held back');
    held[0]!.write('QUIT\r\n');
    await held[0]!.hangup();
    // The slot comes back when the server sees the close; ask again until it has.
    let again = '';
    for (let i = 0; i < 20 && !again.startsWith('220'); i++) {
      await sleep(50);
      const c = Client.open(l.port);
      again = await c.reply(/^\d{3} /);
      if (!again.startsWith('220')) await c.hangup();
      else held[0] = c;
    }
    assert.match(again, /^220 /);
    const fifth = Client.open(l.port);
    assert.match(await fifth.reply(/^\d{3} /), /^421 4\.7\.0/, 'three held again: the next is refused');
    for (const c of [...held, other, fifth]) c.end();
  });
});
