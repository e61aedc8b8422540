import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { createLogger, redactUrl } from './log.js';

test('secrets never reach a log line, even when passed by accident', async () => {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (c: Buffer) => chunks.push(c.toString()));
  const log = createLogger('info', out);
  log.info({ password: 'hunter2-hunter2', body: 'Dear Jane, the message body', otp: '123456', token: 'pwt_secret', req: { headers: { authorization: 'Bearer pwt_x', cookie: 'pw_session=abc' } }, user: { password: 'nested-secret', answer: 'fluffy' } }, 'event');
  await new Promise((r) => setImmediate(r));
  const line = chunks.join('');
  assert.match(line, /"msg":"event"/);
  for (const secret of ['hunter2', 'message body', '123456', 'pwt_secret', 'pwt_x', 'pw_session=abc', 'nested-secret', 'fluffy']) {
    assert.ok(!line.includes(secret), `${secret} leaked into the log`);
  }
});

test('request URLs lose their query values, keep their path and names', () => {
  assert.equal(redactUrl('/accounts/0190a0a0-0000-7000-8000-000000000000'), '/accounts/0190a0a0-0000-7000-8000-000000000000');
  assert.equal(redactUrl('/accounts?q=jane%40example.org&page=2'), '/accounts?q=[redacted]&page=[redacted]');
  assert.equal(redactUrl('/x?flag&&y='), '/x?flag&y=[redacted]');
});
