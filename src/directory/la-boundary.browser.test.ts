import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { browserSkip, checkAxe, signInThroughForm, useBrowserPortal } from '../platform/testing/browser.js';
import { makeAccount, makeOrganisation, TEST_PASSWORD } from '../platform/testing/factories.js';

/**
 * The takeover the security test reproduced, walked in Chromium: an LA tries to re-number
 * a privileged colleague (by tampering with a form the portal gave them for an ordinary
 * account, as an attacker would) and to verify them in the reset console. Both are refused
 * with the reason, and nothing changes.
 */

async function signIn(page: Page, clock: Parameters<typeof signInThroughForm>[1], email: string): Promise<void> {
  await page.goto('/signin');
  await signInThroughForm(page, clock, email, TEST_PASSWORD, (u) => u.pathname === '/' || u.pathname === '/security/questions');
  if (new URL(page.url()).pathname === '/security/questions') await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.locator('#questions-later').click()]);
}

describe('an LA cannot take over a privileged colleague, in Chromium', { skip: browserSkip }, () => {
  const fx = useBrowserPortal(async (db) => {
    const org = await makeOrganisation(db, { name: 'Boundary Hospitals NHS Trust' });
    const la = await makeAccount(db, { organisationId: org.id, roles: ['user', 'local-admin'], email: `la@${org.domain}`, displayName: 'Lee Admin' });
    const colleague = await makeAccount(db, { organisationId: org.id, roles: ['user', 'local-admin'], email: `colleague@${org.domain}`, displayName: 'Cara Colleague', mobile: '+447912000111' });
    const user = await makeAccount(db, { organisationId: org.id, email: `nurse@${org.domain}`, displayName: 'Nia Nurse' });
    return { la, colleague, user };
  });

  test('the colleague is read-only, a tampered form is refused, and the console refuses to verify them', { timeout: 180_000 }, async () => {
    const { la, colleague, user } = fx.seeded;
    const { context, page, watch } = await fx.openPage();
    try {
      await signIn(page, fx.clock, la.email);
      await page.goto(`/accounts/${colleague.id}`);
      await page.locator('#read-only-reason', { hasText: 'only a platform administrator can change it' }).waitFor();
      assert.equal(await page.getByRole('link', { name: /Change display name/ }).count(), 0, 'no Change link');
      assert.equal(await page.locator('#revoke-all-sessions').count(), 0, 'no sign-out button');
      await checkAxe(page);

      // The edit form of an ordinary account, pointed at the colleague.
      await page.goto(`/accounts/${user.id}/edit`);
      await page.locator('form:has(#save)').evaluate((f: { setAttribute(name: string, value: string): void }, id: string) => f.setAttribute('action', `/accounts/${id}/edit`), colleague.id);
      await page.getByLabel('Display name').fill('Cara Colleague');
      await page.getByLabel(/mobile number/i).fill('07400 111222');
      watch.expectDocumentStatus(403);
      await page.getByRole('button', { name: /Save/ }).click();
      await page.locator('#forbidden-reason', { hasText: 'only a platform administrator can change it' }).waitFor();
      await checkAxe(page);
      const stored = await fx.db.selectFrom('accounts').select('mobile').where('id', '=', colleague.id).executeTakeFirstOrThrow();
      assert.equal(stored.mobile, '+447912000111', 'the number is unchanged');

      await page.goto(`/recovery?q=${encodeURIComponent('colleague@')}`);
      watch.expectDocumentStatus(403);
      await page.goto(`/recovery/accounts/${colleague.id}`);
      await page.locator('#forbidden-reason', { hasText: 'only be verified and reset by a platform administrator' }).waitFor();
      await checkAxe(page);
      watch.assertClean('LA journey');
    } finally {
      await context.close();
    }
  });
});
