import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Db } from '../platform/db/db.js';
import { newId } from '../platform/ids.js';
import { browserSkip, checkAxe, signInThroughForm, useBrowserPortal } from '../platform/testing/browser.js';
import { TEST_PASSWORD, makeAccount, makeOrganisation } from '../platform/testing/factories.js';
import { insertQuarantine } from './gateway.repo.js';

/** The CSOC's quarantine journey in Chromium: list, open, release; axe on every page. */

async function seed(db: Db): Promise<{ csoc: string; id: string; lee: string }> {
  const org = await makeOrganisation(db);
  const lee = (await makeAccount(db, { organisationId: org.id, email: `lee.${newId().slice(-8)}@${org.domain}` })).email;
  const csoc = (await makeAccount(db, { organisationId: org.id, roles: ['user', 'csoc'] })).email;
  const id = await insertQuarantine(db, {
    id: newId(), messageKey: newId(), receivedAt: new Date().toISOString(), reason: 'spoofed-system-mail', ruleId: null,
    detail: "From postwarden.test no-reply address but not signed with the platform's DKIM key", mailFrom: 'bounce@evil.example',
    headerFrom: 'no-reply@postwarden.test', recipients: [lee], subject: 'Your password expires today', messageId: `<${newId()}@evil.example>`, size: 120,
    remoteAddress: '192.0.2.10', smtpSessionId: 'abc123', raw: Buffer.from(`From: no-reply@postwarden.test\r\nTo: ${lee}\r\nSubject: Your password expires today\r\n\r\nClick here.\r\n`),
  });
  return { csoc, id, lee };
}

describe('quarantine in Chromium', { skip: browserSkip }, () => {
  const fx = useBrowserPortal(seed);

  test('a CSOC analyst finds a spoofed message, reads its header and releases it', { timeout: 180_000 }, async () => {
    const s = fx.seeded;
    const { context, page, watch } = await fx.openPage();
    try {
      await page.goto('/signin');
      await signInThroughForm(page, fx.clock, s.csoc, TEST_PASSWORD, (u) => !u.pathname.startsWith('/signin'));
      await page.goto('/quarantine');
      await page.getByRole('heading', { level: 1, name: 'Quarantine' }).waitFor();
      await checkAxe(page);
      await Promise.all([page.waitForURL((u) => u.pathname === `/quarantine/${s.id}`), page.locator('#quarantine-list').getByRole('link').first().click()]);
      await page.getByRole('heading', { level: 1, name: 'Quarantined message' }).waitFor();
      assert.match(await page.getByRole('region', { name: 'Message header' }).innerText(), /Subject: Your password expires today/);
      await checkAxe(page);
      await Promise.all([page.waitForURL((u) => u.searchParams.get('done') === 'released'), page.locator('#release').click()]);
      await page.getByText('The message was released and delivered to its recipients.').waitFor();
      await checkAxe(page);
      const row = await fx.db.selectFrom('gateway_quarantine').select('status').where('id', '=', s.id).executeTakeFirstOrThrow();
      assert.equal(row.status, 'released');
      watch.assertClean();
    } finally {
      await context.close();
    }
  });
});
