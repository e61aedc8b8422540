import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { browserSkip, checkAxe, signInThroughForm, useBrowserPortal } from '../platform/testing/browser.js';
import { TEST_PASSWORD } from '../platform/testing/factories.js';
import { seedCoverage, type Seeded } from './coverage.fixtures.js';

/**
 * The LA's coverage journey in Chromium: the real forms, CSRF and CSP, axe-core on every
 * page. One database is enough here (the commands and routes tests cover both).
 */
describe('MFA coverage in Chromium', { skip: browserSkip }, () => {
  const fx = useBrowserPortal(seedCoverage);
  const clock = fx.clock;

  test('an LA reads coverage, requires MFA for an area and for a list, each after a preview', { timeout: 180_000 }, async () => {
    const s: Seeded = fx.seeded;
    const { context, page, watch } = await fx.openPage();
    try {
      await page.goto('/signin');
      await signInThroughForm(page, clock, s.la.email, TEST_PASSWORD, (u) => u.pathname === '/');

      await page.getByRole('navigation', { name: 'Menu' }).getByRole('link', { name: 'MFA coverage' }).click();
      await page.waitForURL((u) => u.pathname === '/mfa/coverage');
      await page.getByRole('heading', { level: 1, name: /MFA coverage/ }).waitFor();
      await checkAxe(page);

      await Promise.all([
        page.waitForURL((u) => u.pathname === '/mfa/coverage/require-area/preview'),
        page.getByRole('button', { name: 'Require MFA for Estates' }).click(),
      ]);
      await page.getByRole('heading', { level: 1, name: 'Require MFA for Estates?' }).waitFor();
      assert.match(await page.locator('#affected-count').innerText(), /^2 accounts/);
      await checkAxe(page);
      await Promise.all([page.waitForURL((u) => u.pathname === '/mfa/coverage' && u.searchParams.get('done') === 'area'), page.locator('#confirm').click()]);
      await page.getByText('2 accounts now have to use MFA').waitFor();
      await checkAxe(page);

      await page.getByRole('link', { name: 'Require MFA for a list of email addresses' }).click();
      await page.waitForURL((u) => u.pathname === '/mfa/coverage/require-list');
      await checkAxe(page);
      await page.getByLabel('Email addresses').fill(`${s.a.c1!.email}\n${s.b.e1!.email}\nnot an address`);
      await Promise.all([page.waitForURL((u) => u.pathname === '/mfa/coverage/require-list/preview'), page.getByRole('button', { name: 'Preview' }).click()]);
      assert.match(await page.locator('#not-found').innerText(), new RegExp(`Line 2: ${s.b.e1!.email.replace('.', '\\.')}`));
      assert.match(await page.locator('#invalid').innerText(), /Line 3: not an address/);
      await checkAxe(page);
      await Promise.all([page.waitForURL((u) => u.searchParams.get('done') === 'list'), page.locator('#confirm').click()]);
      await page.getByText('1 account was marked as requiring MFA.').waitFor();
      const row = await fx.db.selectFrom('accounts').select('mfa_required').where('id', '=', s.a.c1!.id).executeTakeFirstOrThrow();
      assert.equal(Number(row.mfa_required), 1);
      await checkAxe(page);
      watch.assertClean();
    } finally {
      await context.close();
    }
  });
});
