import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { totpCode } from '../mfa/mfa.js';
import { browserSkip, checkAxe, signInThroughForm, useBrowserPortal } from '../platform/testing/browser.js';
import { makeAccount, makeOrganisation, TEST_PASSWORD } from '../platform/testing/factories.js';
import { raiseSuspectedCompromise } from './compromise.signals.js';

/** The security-questions prompt (recovery) may follow a sign-in: postpone it as a user may. */
async function pastQuestionsPrompt(page: Page, landed: (u: URL) => boolean): Promise<void> {
  if (new URL(page.url()).pathname !== '/security/questions') return;
  await Promise.all([page.waitForURL(landed), page.locator('#questions-later').click()]);
}

describe('a compromised account, end to end in Chromium', { skip: browserSkip }, () => {
  const fx = useBrowserPortal(async (db) => {
    const org = await makeOrganisation(db, { name: 'Demo Hospitals NHS Trust' });
    const platform = await makeOrganisation(db, { name: 'Platform operations' });
    const la = await makeAccount(db, { organisationId: org.id, roles: ['user', 'local-admin'], displayName: 'Lee Adams', email: `la@${org.domain}` });
    const csoc = await makeAccount(db, { organisationId: platform.id, roles: ['user', 'csoc'], displayName: 'Casey Analyst', email: `csoc@${platform.domain}` });
    const user = await makeAccount(db, { organisationId: org.id, displayName: 'Nia Okafor', businessArea: 'Clinical', email: `ward.nurse@${org.domain}`, totp: false });
    const suspect = await makeAccount(db, { organisationId: org.id, displayName: 'Paul Smith', email: `porter@${org.domain}` });
    await raiseSuspectedCompromise(db, { actor: null, via: 'system', ip: null, requestId: null, now: new Date() }, { accountId: suspect.id, source: 'phishing-report', detail: 'Report 9001: internal sender' });
    return { la, csoc, user };
  });
  const clock = fx.clock;

  test('CSOC marks → session gone → password change and MFA at sign-in → the LA scans the device and closes the case', { timeout: 300_000 }, async () => {
    const { la, csoc, user } = fx.seeded;
    const victim = await fx.openPage();
    const analyst = await fx.openPage();
    const admin = await fx.openPage();
    try {
      // The user is signed in and working.
      await victim.page.goto('/signin');
      await signInThroughForm(victim.page, clock, user.email, TEST_PASSWORD, (u) => u.pathname === '/' || u.pathname === '/security/questions');
      await pastQuestionsPrompt(victim.page, (u) => u.pathname === '/');
      await victim.page.getByRole('heading', { level: 1, name: /Hello, Nia Okafor/ }).waitFor();

      // The CSOC marks the account from its page.
      await analyst.page.goto('/signin');
      await signInThroughForm(analyst.page, clock, csoc.email, TEST_PASSWORD, (u) => u.pathname === '/' || u.pathname === '/security/questions');
      await pastQuestionsPrompt(analyst.page, (u) => u.pathname === '/');
      await analyst.page.goto(`/accounts/${user.id}`);
      await checkAxe(analyst.page);
      await Promise.all([analyst.page.waitForURL((u) => u.pathname === '/compromise/mark'), analyst.page.locator('#mark-compromised').click()]);
      await checkAxe(analyst.page);
      await analyst.page.getByLabel('Reason').fill('Sent phishing to 40 colleagues from this account');
      await analyst.page.getByLabel('Evidence reference').fill('CSOC-2026-0042');
      await Promise.all([analyst.page.waitForURL((u) => u.pathname.startsWith('/compromise/cases/')), analyst.page.getByRole('button', { name: 'Mark as compromised' }).click()]);
      await analyst.page.getByText(/The account was marked compromised: 1 session\(s\) ended/).waitFor();
      await checkAxe(analyst.page);
      await analyst.page.goto('/compromise');
      await analyst.page.getByRole('link', { name: user.email }).waitFor();
      await checkAxe(analyst.page);

      // The user's open session is gone.
      clock.advance(60_000);
      await victim.page.goto('/');
      assert.equal(new URL(victim.page.url()).pathname, '/signin', 'the session was revoked');

      // At sign-in: MFA enrolment first, then a new password.
      await victim.page.getByLabel('Email address').fill(user.email);
      await victim.page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
      await Promise.all([victim.page.waitForURL((u) => u.pathname === '/security/enrol'), victim.page.getByRole('button', { name: 'Sign in' }).click()]);
      await victim.page.getByText('was identified as compromised').waitFor();
      await checkAxe(victim.page);
      await Promise.all([victim.page.waitForURL((u) => u.pathname === '/security/totp/new'), victim.page.getByRole('link', { name: 'Use an authenticator app on your phone' }).click()]);
      const secret = (await victim.page.locator('#totp-secret').innerText()).replace(/\s+/g, '');
      await victim.page.getByLabel('Code from the app').fill(totpCode(secret, clock.now()));
      await Promise.all([victim.page.waitForURL((u) => u.pathname === '/security/totp'), victim.page.getByRole('button', { name: 'Confirm and turn on' }).click()]);
      await Promise.all([victim.page.waitForURL((u) => u.pathname === '/password/change'), victim.page.getByRole('link', { name: /I have saved my codes/ }).click()]);
      await checkAxe(victim.page);
      await victim.page.getByLabel('Current password').fill(TEST_PASSWORD);
      await victim.page.getByLabel('New password', { exact: true }).fill('a-brand-new-passphrase-2026');
      await victim.page.getByLabel('Confirm new password').fill('a-brand-new-passphrase-2026');
      await Promise.all([victim.page.waitForURL((u) => u.pathname !== '/password/change'), victim.page.getByRole('button', { name: 'Change password' }).click()]);

      // The LA works the case: the device is listed, password and MFA are checked by the system.
      clock.advance(60_000);
      await admin.page.goto('/signin');
      await signInThroughForm(admin.page, clock, la.email, TEST_PASSWORD, (u) => u.pathname === '/' || u.pathname === '/security/questions');
      await pastQuestionsPrompt(admin.page, (u) => u.pathname === '/');
      await admin.page.goto('/compromise');
      await checkAxe(admin.page);
      await Promise.all([admin.page.waitForURL((u) => u.pathname.startsWith('/compromise/cases/')), admin.page.getByRole('link', { name: user.email }).click()]);
      const devices = admin.page.locator('#case-devices tbody tr');
      assert.equal(await devices.count(), 1, 'the device the user signed in from');
      await admin.page.locator('[data-check="password"] .nhsuk-tag--green').waitFor();
      await admin.page.locator('[data-check="mfa"] .nhsuk-tag--green').waitFor();
      await admin.page.locator('[data-check="devices"] .nhsuk-tag--grey').waitFor();
      await checkAxe(admin.page);

      await Promise.all([admin.page.waitForURL((u) => u.pathname.includes('/devices/')), admin.page.getByRole('link', { name: /Record a scan/ }).click()]);
      await checkAxe(admin.page);
      await admin.page.getByLabel('Who scanned the device').fill('Sam Tech');
      await admin.page.getByLabel('Scanning tool').fill('Microsoft Defender full scan');
      await admin.page.getByLabel('No malware found').check();
      await admin.page.getByLabel('Date of the scan').fill(clock.now().toISOString().slice(0, 10));
      await Promise.all([admin.page.waitForURL((u) => u.pathname.startsWith('/compromise/cases/') && !u.pathname.includes('/devices/')), admin.page.getByRole('button', { name: 'Save the scan' }).click()]);
      await admin.page.locator('[data-check="devices"] .nhsuk-tag--green').waitFor();
      await checkAxe(admin.page);
      await Promise.all([admin.page.waitForURL((u) => u.searchParams.get('closed') === '1'), admin.page.getByRole('button', { name: 'Close the case' }).click()]);
      await admin.page.getByText('The case is closed.').waitFor();
      const timeline = await admin.page.locator('#timeline-items').innerText();
      for (const step of ['Marked compromised', 'Local Administrators notified', 'The user set up MFA', 'The user changed their password', 'Malware scan recorded', 'Case closed']) {
        assert.ok(timeline.includes(step), `${step} in the timeline:\n${timeline}`);
      }
      await checkAxe(admin.page);
    } finally {
      await victim.context.close();
      await analyst.context.close();
      await admin.context.close();
    }
  });

  test('the CSOC reviews a suspicion and dismisses it with a reason', { timeout: 120_000 }, async () => {
    const { csoc } = fx.seeded;
    const { context, page, watch } = await fx.openPage();
    try {
      await page.goto('/signin');
      await signInThroughForm(page, clock, csoc.email, TEST_PASSWORD, (u) => u.pathname === '/' || u.pathname === '/security/questions');
      await pastQuestionsPrompt(page, (u) => u.pathname === '/');
      await page.goto('/compromise/suspected');
      await page.getByText('Report 9001: internal sender').waitFor();
      await checkAxe(page);
      await Promise.all([page.waitForURL((u) => u.pathname.endsWith('/dismiss')), page.getByRole('link', { name: /Dismiss/ }).click()]);
      await checkAxe(page);
      watch.expectDocumentStatus(400); // the refusal is a 400 page, which Chromium logs
      await page.getByRole('button', { name: 'Dismiss' }).click();
      await page.getByText('Enter why the suspicion is dismissed').first().waitFor();
      await checkAxe(page);
      await page.getByLabel('Why is it not a compromise?').fill('The reporter forwarded our own newsletter');
      await Promise.all([page.waitForURL((u) => u.pathname === '/compromise/suspected'), page.getByRole('button', { name: 'Dismiss' }).click()]);
      await page.getByText('Nothing to review.').waitFor();
      await checkAxe(page);
    } finally {
      await context.close();
    }
  });
});
