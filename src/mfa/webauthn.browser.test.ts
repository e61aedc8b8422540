import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { testApp, testConfig } from '../platform/testing/app.js';
import { browserSkip, checkAxe, launchBrowser, type PageWatch, watchPage } from '../platform/testing/browser.js';
import { createTestDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation, TEST_PASSWORD } from '../platform/testing/factories.js';
import { factorsOf } from './mfa.repo.js';

/**
 * Security keys through Chromium's virtual authenticator (DevTools WebAuthn domain), with
 * the real pages, webauthn.js and @simplewebauthn/browser. The relying party is the
 * config's publicUrl, so the portal must know its own origin before it starts: a free
 * port is found first and the app listens on it (startPortal picks its port after the
 * app is built, too late for the config).
 */

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

async function addAuthenticator(cdp: CDPSession): Promise<string> {
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  });
  return authenticatorId;
}

describe('security keys in Chromium', { skip: browserSkip }, () => {
  let handle: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: FastifyInstance;
  let baseUrl: string;
  let browser: Browser;
  let finance: { id: string; email: string };
  let noScript: { email: string };

  before(async () => {
    handle = await createTestDatabase('sqlite');
    const org = await makeOrganisation(handle.db, { name: 'Fenwick Hospitals NHS Trust', highRiskAreas: ['Finance', 'HR'] });
    finance = await makeAccount(handle.db, { organisationId: org.id, displayName: 'Kit Keyholder', businessArea: 'Finance', totp: false });
    noScript = await makeAccount(handle.db, { organisationId: org.id, displayName: 'Nora Noscript', businessArea: 'Finance', totp: false });
    const port = await freePort();
    baseUrl = `http://localhost:${port}`;
    ({ app } = await testApp(handle.db, { config: testConfig({ publicUrl: baseUrl }) }));
    await app.listen({ host: '127.0.0.1', port });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await handle?.drop();
  });

  async function openPage(opts: { javaScriptEnabled?: boolean } = {}): Promise<{ context: BrowserContext; page: Page; watch: PageWatch }> {
    const context = await browser.newContext({ baseURL: baseUrl, ...opts });
    context.setDefaultTimeout(30_000);
    context.setDefaultNavigationTimeout(60_000);
    const page = await context.newPage();
    return { context, page, watch: watchPage(page, baseUrl) };
  }

  async function signIn(page: Page, email: string, expectPath: string): Promise<void> {
    await page.goto('/signin');
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await Promise.all([page.waitForURL((u) => u.pathname === expectPath), page.getByRole('button', { name: 'Sign in' }).click()]);
  }

  async function register(page: Page, name: string, expectPath: string): Promise<void> {
    await page.getByLabel('Name (optional)').fill(name);
    await Promise.all([page.waitForURL((u) => u.pathname === expectPath), page.getByRole('button', { name: 'Register security key' }).click()]);
  }

  test('a Finance account enrols a key, signs in with it, adds, renames and removes keys', { timeout: 240_000 }, async () => {
    const { context, page, watch } = await openPage();
    try {
      const cdp = await context.newCDPSession(page);
      await cdp.send('WebAuthn.enable');
      const firstKey = await addAuthenticator(cdp);

      // Forced to enrol; chooses a security key.
      await signIn(page, finance.email, '/security/enrol');
      await checkAxe(page);
      await Promise.all([page.waitForURL((u) => u.pathname === '/security/webauthn/new'), page.getByRole('link', { name: 'Use a security key or passkey' }).click()]);
      await page.getByRole('button', { name: 'Register security key' }).waitFor();
      await checkAxe(page);
      await register(page, 'Blue key', '/security/webauthn');
      await page.getByRole('heading', { level: 1, name: 'Multi-factor authentication is on' }).waitFor();
      assert.equal(await page.locator('#recovery-codes li').count(), 10);
      await checkAxe(page);
      await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.getByRole('link', { name: /I have saved my codes/ }).click()]);
      await page.getByRole('heading', { level: 1, name: /Hello, Kit Keyholder/ }).waitFor();
      await checkAxe(page);

      // Next sign-in: the key is the second factor.
      await Promise.all([page.waitForURL((u) => u.pathname === '/signin'), page.getByRole('button', { name: 'Sign out' }).click()]);
      await signIn(page, finance.email, '/signin/verify');
      await page.getByRole('button', { name: 'Use your security key' }).waitFor();
      await checkAxe(page);
      await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.getByRole('button', { name: 'Use your security key' }).click()]);
      await page.getByRole('heading', { level: 1, name: /Hello, Kit Keyholder/ }).waitFor();
      const [stored] = await factorsOf(handle.db, finance.id);
      assert.ok(stored?.lastUsedAt, 'the use is recorded');

      // Security: the same key again is refused by the browser (excludeCredentials), shown in the error summary.
      await page.goto('/security');
      await checkAxe(page);
      await Promise.all([page.waitForURL((u) => u.pathname === '/security/webauthn/new'), page.getByRole('link', { name: 'Add a security key or passkey' }).click()]);
      await page.getByRole('button', { name: 'Register security key' }).click();
      const error = page.locator('#webauthn-error');
      await error.getByText('already registered').waitFor();
      assert.equal(await error.evaluate((el) => el === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement), true, 'the error summary has focus');
      assert.match(await page.title(), /^Error: /);
      await checkAxe(page);

      // A second, different key.
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: firstKey });
      await addAuthenticator(cdp);
      await register(page, 'Spare key', '/security');
      await page.getByRole('cell', { name: 'Spare key', exact: true }).waitFor();
      await checkAxe(page);

      // Rename the first.
      await Promise.all([page.waitForURL((u) => u.pathname.endsWith('/rename')), page.getByRole('link', { name: 'Rename Blue key' }).click()]);
      await checkAxe(page);
      await page.getByLabel('Name').fill('Keyring key');
      await Promise.all([page.waitForURL((u) => u.pathname === '/security'), page.getByRole('button', { name: 'Save name' }).click()]);
      await page.getByRole('cell', { name: 'Keyring key', exact: true }).waitFor();

      // Remove one (allowed), then the last (refused: this account must use MFA).
      await Promise.all([page.waitForURL((u) => u.searchParams.get('removed') === '1'), page.getByRole('button', { name: 'Remove Spare key' }).click()]);
      await checkAxe(page);
      watch.expectDocumentStatus(409);
      await page.getByRole('button', { name: 'Remove Keyring key' }).click();
      await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
      await page.getByText('This is your only way to pass multi-factor authentication').first().waitFor();
      await checkAxe(page);
      assert.deepEqual((await factorsOf(handle.db, finance.id)).map((f) => f.name), ['Keyring key']);
      watch.assertClean();
    } finally {
      await context.close();
    }
  });

  test('without JavaScript the key page says why and offers the authenticator app', { timeout: 120_000 }, async () => {
    const { context, page, watch } = await openPage({ javaScriptEnabled: false });
    try {
      await signIn(page, noScript.email, '/security/enrol');
      await page.goto('/security/webauthn/new');
      // Playwright's text selectors skip <noscript>, so read what the page renders instead.
      const text = await page.locator('main').innerText();
      assert.match(text, /To use a security key you need a browser with JavaScript turned on\. You can use an authenticator app on your phone instead\./);
      assert.equal(await page.locator('#webauthn-start').isVisible(), false, 'no button that cannot work');
      assert.ok(await page.locator('main a[href="/security/totp/new"]').first().isVisible());
      watch.assertClean();
    } finally {
      await context.close();
    }
  });
});
