import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderEmail, renderSms } from '../platform/notify/render.js';
import { testConfig } from '../platform/testing/app.js';

test('the test message is the notifications capability\'s, and rows queued under its old id render the same', () => {
  const config = testConfig({ serviceName: 'Postwarden Test' });
  const email = renderEmail(config, 'notifications/test-message', { reference: 'R1' });
  assert.equal(email.subject, 'Test message from Postwarden Test');
  assert.match(email.html, /<html/i, 'the HTML part extends the platform\'s email layout');
  assert.deepEqual(renderEmail(config, 'platform/test-message', { reference: 'R1' }), email);
  const sms = renderSms(config, 'notifications/test-message', { reference: 'S1' });
  assert.equal(sms.body, 'Postwarden Test: test text message (reference S1). You do not need to do anything.');
  assert.deepEqual(renderSms(config, 'platform/test-message', { reference: 'S1' }), sms);
});
