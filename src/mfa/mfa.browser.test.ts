import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { browserSkip, checkAxe, useBrowserPortal } from '../platform/testing/browser.js';
import { makeAccount, makeOrganisation, TEST_PASSWORD } from '../platform/testing/factories.js';
import { requirePeer } from '../platform/testing/peers.js';
import { totpCode } from './mfa.js';

/** Missing oathtool is reported in the run's banner (and fails under CI). */
const oathtoolSkip = requirePeer('oathtool', 'codes from an independent implementation');

/** A code from Debian's oathtool, the independent peer (otpauth only where it is missing). */
function oathtool(secret: string, at: Date): string {
  if (oathtoolSkip) return totpCode(secret, at);
  return execFileSync('oathtool', ['--totp', '-b', '-N', at.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'), secret], { encoding: 'utf8' }).trim();
}

describe('TOTP enrolment in Chromium', { skip: browserSkip }, () => {
  const fx = useBrowserPortal(async (db) => {
    const org = await makeOrganisation(db, { name: 'Fenwick Hospitals NHS Trust', highRiskAreas: ['Finance', 'HR'] });
    return makeAccount(db, { organisationId: org.id, displayName: 'Fiona Ledger', businessArea: 'Finance', totp: false });
  });
  const clock = fx.clock;

  test('a Finance account is forced through enrolment, then an oathtool code signs it in', { timeout: 180_000 }, async () => {
    const finance = fx.seeded;
    const { context, page } = await fx.openPage();
    try {
      await page.goto('/signin');
      await page.getByLabel('Email address').fill(finance.email);
      await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
      await Promise.all([page.waitForURL((u) => u.pathname === '/security/enrol'), page.getByRole('button', { name: 'Sign in' }).click()]);
      await page.getByText('business area your organisation marks high-risk').waitFor();
      await checkAxe(page);
      await page.goto('/accounts');
      assert.equal(new URL(page.url()).pathname, '/security/enrol', 'nothing else before enrolment');

      await Promise.all([page.waitForURL((u) => u.pathname === '/security/totp/new'), page.getByRole('link', { name: 'Use an authenticator app on your phone' }).click()]);
      await page.locator('#totp-qr').waitFor();
      assert.ok(await page.locator('#totp-qr').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0), 'the QR code renders');
      await checkAxe(page);
      const secret = (await page.locator('#totp-secret').innerText()).replace(/\s+/g, '');
      await page.getByLabel('Code from the app').fill(oathtool(secret, clock.now()));
      await page.getByLabel('Name (optional)').fill('Work phone');
      await Promise.all([page.waitForURL((u) => u.pathname === '/security/totp'), page.getByRole('button', { name: 'Confirm and turn on' }).click()]);
      await page.getByRole('heading', { level: 1, name: 'Multi-factor authentication is on' }).waitFor();
      assert.equal(await page.locator('#recovery-codes li').count(), 10);
      await checkAxe(page);
      await Promise.all([page.waitForURL((u) => u.pathname === '/security'), page.getByRole('link', { name: /I have saved my codes/ }).click()]);
      await page.getByRole('cell', { name: 'Work phone', exact: true }).waitFor();
      await checkAxe(page);

      await Promise.all([page.waitForURL((u) => u.pathname === '/signin'), page.getByRole('button', { name: 'Sign out' }).click()]);
      await page.getByLabel('Email address').fill(finance.email);
      await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
      await Promise.all([page.waitForURL((u) => u.pathname === '/signin/verify'), page.getByRole('button', { name: 'Sign in' }).click()]);
      await checkAxe(page);
      clock.advance(30_000);
      await page.getByLabel('Code from your authenticator app').fill(oathtool(secret, clock.now()));
      await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.getByRole('button', { name: 'Continue' }).click()]);
      await page.getByRole('heading', { level: 1, name: /Hello, Fiona Ledger/ }).waitFor();
      await checkAxe(page);
      await page.goto('/security/sessions');
      await page.getByText('Authenticator app').first().waitFor();
      await checkAxe(page);
    } finally {
      await context.close();
    }
  });
});
