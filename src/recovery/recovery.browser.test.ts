import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { deliverDueNotifications } from '../platform/notify/runner.js';
import { listLocalSms } from '../platform/notify/sms.local.js';
import { browserSkip, checkAxe, signInThroughForm, useBrowserPortal } from '../platform/testing/browser.js';
import { makeAccount, makeOrganisation, TEST_PASSWORD } from '../platform/testing/factories.js';
import { ANSWERS, charFor, giveQuestions, withoutQuestions } from './recovery.fixtures.js';

const NIA_MOBILE = '+447400123456';
const NEW_PASSWORD = 'heron-quartz-meadow-58';

/** The journey of the issue in Chromium, axe-core on every page: prompt → verify → reset → must change → review; self-service pages. */
describe('verified password reset in Chromium', { skip: browserSkip }, () => {
  const fx = useBrowserPortal(async (db) => {
    const org = await makeOrganisation(db, { name: 'Demo-like Hospitals NHS Trust', highRiskAreas: ['Finance', 'HR'] });
    const platform = await makeOrganisation(db, { name: 'Platform operations' });
    const la = await makeAccount(db, { organisationId: org.id, displayName: 'Lee Adams', roles: ['user', 'local-admin'] });
    const agent = await makeAccount(db, { organisationId: platform.id, displayName: 'Hana Desk', roles: ['user', 'helpdesk'] });
    for (const a of [la, agent]) await giveQuestions(db, a.id);
    const nia = await makeAccount(db, { organisationId: org.id, displayName: 'Nia Okafor', businessArea: 'Clinical', mobile: NIA_MOBILE });
    await withoutQuestions(db, nia.id);
    return { org, la, agent, nia };
  });
  const clock = fx.clock;

  async function signOut(page: Page): Promise<void> {
    await Promise.all([page.waitForURL((u) => u.pathname === '/signin'), page.getByRole('button', { name: 'Sign out' }).click()]);
  }

  async function latestSms(): Promise<string> {
    await deliverDueNotifications({ db: fx.db, config: fx.portal.config, clock });
    return (await listLocalSms(fx.portal.config)).filter((s) => s.to === NIA_MOBILE).at(-1)!.body;
  }

  test('the user sets questions at sign-in; the helpdesk verifies and resets; the user must change the password; the LA reviews it', { timeout: 300_000 }, async () => {
    const { la, agent, nia } = fx.seeded;
    const { context, page, watch } = await fx.openPage();
    try {
      await page.goto('/signin');
      await signInThroughForm(page, clock, nia.email, TEST_PASSWORD, (u) => u.pathname === '/security/questions');
      await page.getByRole('heading', { level: 1, name: 'Security questions' }).waitFor();
      await checkAxe(page);
      for (const [i, e] of ANSWERS.entries()) {
        await page.getByLabel(`Question ${i + 1}`, { exact: true }).selectOption(e.question);
        await page.getByLabel(`Answer to question ${i + 1}`).fill(e.answer);
      }
      await page.getByLabel('Your current password').fill(TEST_PASSWORD);
      await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.getByRole('button', { name: 'Save security questions' }).click()]);
      await checkAxe(page);
      await signOut(page);

      await signInThroughForm(page, clock, agent.email, TEST_PASSWORD, (u) => u.pathname === '/');
      await page.goto('/recovery');
      await checkAxe(page);
      await page.getByLabel('Email address (start) or name').fill('Nia');
      await Promise.all([page.waitForURL((u) => u.searchParams.get('q') === 'Nia'), page.getByRole('button', { name: 'Find account' }).click()]);
      await checkAxe(page);
      await Promise.all([page.waitForURL((u) => u.pathname === `/recovery/accounts/${nia.id}`), page.getByRole('link', { name: nia.email }).click()]);
      await checkAxe(page);
      await Promise.all([page.waitForURL((u) => u.pathname === `/recovery/accounts/${nia.id}` && u.hash === '#verification'), page.getByRole('button', { name: 'Start verification' }).click()]);
      await page.getByRole('heading', { name: 'Ask the caller for these characters' }).waitFor();
      await checkAxe(page);
      const labels = [await page.locator('label[for="char1"]').innerText(), await page.locator('label[for="char2"]').innerText()];
      await page.reload();
      assert.deepEqual([await page.locator('label[for="char1"]').innerText(), await page.locator('label[for="char2"]').innerText()], labels, 'reloading does not re-roll');
      for (const [i, label] of labels.entries()) {
        const m = /The (\d+)\w\w character of the answer to: (.+)$/.exec(label.trim())!;
        await page.locator(`#char${i + 1}`).fill(charFor({ position: Number(m[1]), question: m[2]! }));
      }
      await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/recovery/verifications/')), page.getByRole('button', { name: 'Check characters' }).click()]);
      await page.getByText('This account needs a second check').waitFor();
      await checkAxe(page);
      await Promise.all([page.waitForURL((u) => u.searchParams.get('sent') === '1'), page.getByRole('button', { name: 'Send a code to the mobile ending 3456' }).click()]);
      await checkAxe(page);
      const code = /code is (\d{6})/.exec(await latestSms())![1]!;
      await page.getByLabel('6-digit code the caller received by text message').fill(code);
      await Promise.all([page.waitForURL((u) => !u.searchParams.has('sent')), page.getByRole('button', { name: 'Check text message code' }).click()]);
      await page.getByRole('heading', { name: 'Reset the password' }).waitFor();
      await checkAxe(page);
      await page.getByLabel('Ticket reference').fill('INC-4242');
      await page.getByLabel('Show it to me once, to read to the caller').check();
      await Promise.all([page.waitForURL((u) => u.pathname.endsWith('/reset')), page.getByRole('button', { name: 'Reset password' }).click()]);
      const temporary = (await page.locator('#temporary-password').innerText()).trim();
      await checkAxe(page);
      await signOut(page);

      await page.getByLabel('Email address').fill(nia.email);
      await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
      watch.expectDocumentStatus(401);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('Enter a correct email address and password').first().waitFor();
      await signInThroughForm(page, clock, nia.email, temporary, (u) => u.pathname === '/password/change');
      await checkAxe(page);
      await page.getByLabel('Current password').fill(temporary);
      await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
      await page.getByLabel('Confirm new password').fill(NEW_PASSWORD);
      await Promise.all([page.waitForURL((u) => u.pathname === '/' && u.searchParams.get('changed') === '1'), page.getByRole('button', { name: 'Change password' }).click()]);
      await page.getByRole('heading', { level: 1, name: 'Hello, Nia Okafor' }).waitFor();
      await checkAxe(page);
      await signOut(page);

      await signInThroughForm(page, clock, la.email, TEST_PASSWORD, (u) => u.pathname === '/');
      await page.goto('/recovery/review');
      const row = page.locator('#resets tbody tr', { hasText: nia.email });
      await row.waitFor();
      const text = await row.innerText();
      for (const expected of ['Helpdesk', 'Hana Desk', agent.email, 'Platform operations', 'Passed', 'Code by text message', 'INC-4242']) assert.ok(text.includes(expected), `${expected} in the review row`);
      await checkAxe(page);
      watch.assertClean();
    } finally {
      await context.close();
    }
  });

  test('refusals look right too: a failed check, a referral, question rules, a recorded review', { timeout: 180_000 }, async () => {
    const { la, agent, org } = fx.seeded;
    const referred = await makeAccount(fx.db, { organisationId: org.id, displayName: 'Rafe Referred' });
    await giveQuestions(fx.db, referred.id);
    await fx.db.updateTable('accounts').set({ status: 'disabled', status_reason: 'non-uk-mobile' }).where('id', '=', referred.id).execute();
    const failing = await makeAccount(fx.db, { organisationId: org.id, displayName: 'Fern Failing' });
    await giveQuestions(fx.db, failing.id);
    const { context, page, watch } = await fx.openPage();
    try {
      await page.goto('/signin');
      await signInThroughForm(page, clock, agent.email, TEST_PASSWORD, (u) => u.pathname === '/');
      await page.goto(`/recovery/accounts/${referred.id}`);
      await page.getByText('refer the caller to their Local Administrator').waitFor();
      await checkAxe(page);
      await page.goto(`/recovery/accounts/${failing.id}`);
      await Promise.all([page.waitForURL((u) => u.hash === '#verification'), page.getByRole('button', { name: 'Start verification' }).click()]);
      await page.locator('#char1').fill('#');
      await page.locator('#char2').fill('#');
      await Promise.all([page.waitForURL((u) => u.searchParams.get('result') === 'failed'), page.getByRole('button', { name: 'Check characters' }).click()]);
      await page.getByText('The characters did not match').waitFor();
      await checkAxe(page);
      watch.expectDocumentStatus(400);
      await page.goto('/security/questions');
      await page.getByRole('button', { name: 'Save security questions' }).click();
      await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
      await checkAxe(page);
      await signOut(page);
      await signInThroughForm(page, clock, la.email, TEST_PASSWORD, (u) => u.pathname === '/');
      await page.goto('/recovery/review');
      await page.getByLabel('Notes (what you checked, what you followed up)').fill('Checked with the helpdesk lead.');
      await Promise.all([page.waitForURL((u) => u.searchParams.get('recorded') === '1'), page.getByRole('button', { name: /^Record review of/ }).click()]);
      await page.getByText('Your review has been recorded.').waitFor();
      await checkAxe(page);
      watch.assertClean();
    } finally {
      await context.close();
    }
  });

  test('self-service pages: email and last 4 digits, then characters; the same answer for everyone', { timeout: 180_000 }, async () => {
    const { context, page, watch } = await fx.openPage();
    try {
      await page.goto('/signin');
      await Promise.all([page.waitForURL((u) => u.pathname === '/password/forgotten'), page.getByRole('link', { name: 'Forgotten your password?' }).click()]);
      await checkAxe(page);
      await page.getByLabel('Email address').fill('nobody-at-all@example.test');
      await page.getByLabel('Last 4 digits of your mobile number').fill('1234');
      await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Continue' }).click()]);
      await page.getByRole('heading', { level: 1, name: 'Answer your security questions' }).waitFor();
      await checkAxe(page);
      await page.locator('#char1').fill('a');
      await page.locator('#char2').fill('b');
      await Promise.all([page.waitForURL((u) => u.pathname === '/password/forgotten/answer'), page.getByRole('button', { name: 'Send me a temporary password' }).click()]);
      await page.getByRole('heading', { level: 1, name: 'Check your phone' }).waitFor();
      await checkAxe(page);
      watch.assertClean();
    } finally {
      await context.close();
    }
  });
});
