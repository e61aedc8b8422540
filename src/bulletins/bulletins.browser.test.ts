import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { deliverDueNotifications } from '../platform/notify/runner.js';
import { browserSkip, checkAxe, signInThroughForm, useBrowserPortal } from '../platform/testing/browser.js';
import { makeAccount, makeOrganisation, TEST_PASSWORD } from '../platform/testing/factories.js';

/**
 * A platform admin writes, previews and publishes a bulletin; an LA reads it in the
 * portal (unread marker, archive, notification history). Real forms, CSRF and CSP, axe
 * on every page.
 */
/** After sign-in: the dashboard, or the security-questions prompt (recovery) when the account has none. */
const landed = (u: URL): boolean => u.pathname === '/' || u.pathname === '/security/questions';

async function skipQuestionsPrompt(page: Page): Promise<void> {
  if (new URL(page.url()).pathname !== '/security/questions') return;
  await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.locator('#questions-later').click()]);
}

describe('LA bulletins in Chromium', { skip: browserSkip }, () => {
  const fx = useBrowserPortal(async (db) => {
    const org = await makeOrganisation(db, { name: 'Browser Bulletin Trust' });
    const admin = await makeAccount(db, { organisationId: org.id, roles: ['user', 'platform-admin'] });
    const la = await makeAccount(db, { organisationId: org.id, roles: ['user', 'local-admin'] });
    return { admin, la };
  });

  test('an admin publishes a bulletin and an LA reads it in the portal', { timeout: 240_000 }, async () => {
    const { admin, la } = fx.seeded;
    const a = await fx.openPage();
    try {
      await a.page.goto('/signin');
      await signInThroughForm(a.page, fx.clock, admin.email, TEST_PASSWORD, landed);
      await skipQuestionsPrompt(a.page);
      await a.page.goto('/bulletins');
      await checkAxe(a.page);
      await Promise.all([a.page.waitForURL((u) => u.pathname === '/bulletins/new'), a.page.getByRole('button', { name: 'Write a bulletin' }).click()]);
      await checkAxe(a.page);
      await a.page.getByLabel('Title').fill('Multi-factor authentication for high-risk areas');
      await a.page.getByLabel('Category').selectOption('Cyber security');
      await a.page.getByLabel('Text').fill('## Recommended action\n\nEnable MFA for **Finance** and **HR** accounts.\n\n- Review coverage\n- Require MFA for the area');
      await Promise.all([a.page.waitForURL((u) => /^\/bulletins\/[0-9a-f-]{36}$/.test(u.pathname)), a.page.getByRole('button', { name: 'Save and preview' }).click()]);
      await a.page.getByRole('heading', { level: 2, name: /Draft preview/ }).waitFor();
      await checkAxe(a.page);
      await Promise.all([a.page.waitForURL((u) => u.pathname === '/bulletins'), a.page.getByRole('button', { name: 'Publish and email every Local Administrator' }).click()]);
      await a.page.getByText('Bulletin published. 1 Local Administrator email(s) queued.').waitFor();
      await checkAxe(a.page);
      assert.equal((await deliverDueNotifications({ db: fx.db, config: fx.portal.config, clock: fx.clock })).sent, 1);
      await a.page.goto('/outbox');
      await checkAxe(a.page);
      a.watch.assertClean();
    } finally {
      await a.context.close();
    }

    const l = await fx.openPage();
    try {
      await l.page.goto('/signin');
      await signInThroughForm(l.page, fx.clock, la.email, TEST_PASSWORD, landed);
      await skipQuestionsPrompt(l.page);
      await l.page.goto('/bulletins');
      const item = l.page.getByRole('listitem').filter({ hasText: 'Multi-factor authentication for high-risk areas' });
      await item.getByText('Unread').waitFor();
      await checkAxe(l.page);
      await Promise.all([l.page.waitForURL((u) => /^\/bulletins\/[0-9a-f-]{36}$/.test(u.pathname)), item.getByRole('link').click()]);
      await l.page.getByRole('heading', { level: 1, name: 'Multi-factor authentication for high-risk areas' }).waitFor();
      await l.page.getByRole('heading', { level: 2, name: 'Recommended action' }).waitFor();
      assert.equal(await l.page.getByText('Finance', { exact: true }).innerText(), 'Finance');
      await checkAxe(l.page);
      await l.page.getByRole('link', { name: 'All bulletins' }).click();
      await l.page.waitForURL((u) => u.pathname === '/bulletins');
      await l.page.getByText('You have read every bulletin.').waitFor();
      assert.equal(await item.getByText('Unread').count(), 0);
      await l.page.getByRole('link', { name: 'Bulletin archive' }).click();
      await l.page.waitForURL((u) => u.pathname === '/bulletins/archive');
      await checkAxe(l.page);
      await l.page.goto('/notifications');
      await l.page.getByRole('cell', { name: 'LA bulletin: Multi-factor authentication for high-risk areas' }).first().waitFor();
      await checkAxe(l.page);
      l.watch.assertClean();
    } finally {
      await l.context.close();
    }
  });
});
