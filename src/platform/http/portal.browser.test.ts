import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { browserSkip, checkAxe, signInThroughForm, useBrowserPortal } from '../testing/browser.js';
import { makeAccount, makeOrganisation, TEST_PASSWORD } from '../testing/factories.js';

/**
 * The portal's main journeys in a real browser (Debian Chromium): the real forms, CSRF,
 * cookies, redirects and CSP, with axe-core on every page visited. One database is
 * enough here; the two-database rule is for repositories and commands.
 */

const NEW_PASSWORD = 'granite-otter-lantern-42';

type Seeded = Awaited<ReturnType<typeof seed>>;

async function seed(db: Parameters<typeof makeOrganisation>[0]) {
  const platform = await makeOrganisation(db, { name: 'Platform Operations' });
  const orgA = await makeOrganisation(db, { name: 'Larkspur Valley NHS Trust' });
  const orgB = await makeOrganisation(db, { name: 'Quenby Marsh Health Board' });
  const admin = await makeAccount(db, { organisationId: platform.id, displayName: 'Petra Admin', roles: ['user', 'platform-admin'] });
  const la = await makeAccount(db, { organisationId: orgA.id, displayName: 'Lena Localadmin', roles: ['user', 'local-admin'] });
  const aliceA = await makeAccount(db, { organisationId: orgA.id, email: `zephyrine.quillfeather@${orgA.domain}`, displayName: 'Zephyrine Quillfeather' });
  const bobA = await makeAccount(db, { organisationId: orgA.id, email: `barnaby.hollowell@${orgA.domain}`, displayName: 'Barnaby Hollowell' });
  const secretB = await makeAccount(db, { organisationId: orgB.id, email: `ottoline.bramblewick@${orgB.domain}`, displayName: 'Ottoline Bramblewick' });
  const otherB = await makeAccount(db, { organisationId: orgB.id, email: `cuthbert.snodgrass@${orgB.domain}`, displayName: 'Cuthbert Snodgrass' });
  const newcomer = await makeAccount(db, { organisationId: orgA.id, displayName: 'Nina Newcomer', mustChange: true });
  return { platform, orgA, orgB, admin, la, aliceA, bobA, secretB, otherB, newcomer };
}

describe('portal in Chromium', { skip: browserSkip }, () => {
  const fx = useBrowserPortal(seed);
  const clock = fx.clock;
  const openPage = (): ReturnType<typeof fx.openPage> => fx.openPage();
  let data: Seeded;
  before(() => {
    data = fx.seeded;
  });

  const signIn = (page: Page, email: string, password: string, landed: (url: URL) => boolean): Promise<void> =>
    signInThroughForm(page, clock, email, password, landed);

  const path = (page: Page): string => {
    const u = new URL(page.url());
    return u.pathname + u.search;
  };

  test('a platform admin signs in, searches accounts, browses and signs out', { timeout: 180_000 }, async () => {
    const { context, page, watch } = await openPage();
    try {
      const res = await page.goto('/signin');
      assert.equal(res?.status(), 200);
      await checkAxe(page);

      // A wrong password: the form comes back (401) with an error summary, email kept.
      watch.expectDocumentStatus(401);
      await page.getByLabel('Email address').fill(data.admin.email);
      await page.getByLabel('Password', { exact: true }).fill('not-the-password-at-all');
      const [failed] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/signin'),
        page.getByRole('button', { name: 'Sign in' }).click(),
      ]);
      assert.equal(failed.status(), 401);
      await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
      assert.match(await page.title(), /^Error: Sign in/);
      assert.equal(await page.getByLabel('Email address').inputValue(), data.admin.email);
      assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '', 'the password is never echoed back');
      await checkAxe(page);

      await signIn(page, data.admin.email, TEST_PASSWORD, (u) => u.pathname === '/');
      await page.getByRole('heading', { level: 1, name: 'Hello, Petra Admin' }).waitFor();
      await checkAxe(page);

      // Search from the Accounts page: a name fragment finds one org A account, not the other.
      await page.getByRole('navigation', { name: 'Menu' }).getByRole('link', { name: 'Accounts', exact: true }).click();
      await page.waitForURL((u) => u.pathname === '/accounts');
      await page.getByRole('heading', { level: 1, name: 'Accounts' }).waitFor();
      await checkAxe(page);
      await page.getByLabel(/Search by email address/).fill('quillfe');
      await Promise.all([page.waitForURL((u) => u.pathname === '/accounts' && u.searchParams.get('q') === 'quillfe'), page.getByRole('button', { name: 'Search' }).click()]);
      const table = page.locator('table#accounts');
      await table.getByRole('link', { name: data.aliceA.email }).waitFor();
      assert.equal(await table.locator('tbody tr').count(), 1, 'only the matching account is listed');
      assert.equal(await page.getByText('Barnaby Hollowell').count(), 0);
      assert.equal(await page.getByLabel(/Search by email address/).inputValue(), 'quillfe', 'the search box keeps the query');
      await checkAxe(page);

      await Promise.all([page.waitForURL((u) => u.pathname === `/accounts/${data.aliceA.id}`), table.getByRole('link', { name: data.aliceA.email }).click()]);
      await page.getByRole('heading', { level: 1, name: 'Zephyrine Quillfeather' }).waitFor();
      assert.ok((await page.locator('main').innerText()).includes('Larkspur Valley NHS Trust'), 'account page names its organisation');
      await checkAxe(page);

      await page.getByRole('navigation', { name: 'Menu' }).getByRole('link', { name: 'Organisations', exact: true }).click();
      await page.waitForURL((u) => u.pathname === '/organisations');
      for (const name of ['Platform Operations', 'Larkspur Valley NHS Trust', 'Quenby Marsh Health Board']) {
        await page.getByRole('link', { name }).waitFor();
      }
      await checkAxe(page);

      await page.getByRole('navigation', { name: 'Menu' }).getByRole('link', { name: 'Audit log' }).click();
      await page.waitForURL((u) => u.pathname === '/audit');
      await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
      // The failed and the successful sign-in above are both on the record.
      assert.ok((await page.locator('table').innerText()).includes('signin.password'), 'sign-in attempts are audited');
      await checkAxe(page);

      // Sign out from the header; the session must be gone on the server, not just the cookie.
      const session = (await context.cookies()).find((c) => c.name === 'pw_session');
      assert.ok(session, 'signed in with a session cookie');
      await Promise.all([page.waitForURL((u) => u.pathname === '/signin'), page.getByRole('button', { name: 'Sign out' }).click()]);
      await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
      await checkAxe(page);
      const back = await page.goto('/accounts');
      assert.equal(back?.status(), 200);
      assert.equal(path(page), '/signin?next=%2Faccounts');

      const { context: replay, page: replayPage, watch: replayWatch } = await openPage();
      try {
        await replay.addCookies([{ ...session, expires: -1 }]);
        await replayPage.goto('/accounts');
        assert.equal(new URL(replayPage.url()).pathname, '/signin', 'the old session cookie no longer works');
        replayWatch.assertClean();
      } finally {
        await replay.close();
      }
      watch.assertClean();
    } finally {
      await context.close();
    }
  });

  test("an organisation's page opens from the Organisations list and from an LA's dashboard", { timeout: 180_000 }, async () => {
    for (const who of [{ account: data.admin, via: 'Organisations' }, { account: data.la, via: 'dashboard' }]) {
      const { context, page, watch } = await openPage();
      try {
        await page.goto('/signin');
        await signIn(page, who.account.email, TEST_PASSWORD, (u) => u.pathname === '/');
        if (who.via === 'Organisations') {
          await page.getByRole('navigation', { name: 'Menu' }).getByRole('link', { name: 'Organisations', exact: true }).click();
          await page.waitForURL((u) => u.pathname === '/organisations');
          await checkAxe(page);
          const [res] = await Promise.all([
            page.waitForResponse((r) => new URL(r.url()).pathname === `/organisations/${data.orgA.id}`),
            page.getByRole('link', { name: 'Larkspur Valley NHS Trust' }).click(),
          ]);
          assert.equal(res.status(), 200, `GET /organisations/<id> as ${who.account.email}`);
        } else {
          const res = await page.goto(`/organisations/${data.orgA.id}`);
          assert.equal(res?.status(), 200, `GET /organisations/<own id> as the LA`);
        }
        await page.getByRole('heading', { level: 1, name: 'Larkspur Valley NHS Trust' }).waitFor();
        assert.ok((await page.locator('main').innerText()).includes(data.orgA.code));
        await checkAxe(page);
        // The page's own link lists that organisation's accounts.
        await Promise.all([page.waitForURL((u) => u.pathname === '/accounts' && u.searchParams.get('org') === data.orgA.id), page.getByRole('link', { name: /^View accounts in/ }).click()]);
        await page.getByRole('heading', { level: 1, name: 'Accounts in Larkspur Valley NHS Trust' }).waitFor();
        await checkAxe(page);
        watch.assertClean();
      } finally {
        await context.close();
      }
    }
  });

  test('a Local Administrator sees only their organisation; other organisations are 404', { timeout: 180_000 }, async () => {
    const { context, page, watch } = await openPage();
    try {
      await page.goto('/signin');
      await signIn(page, data.la.email, TEST_PASSWORD, (u) => u.pathname === '/');
      await page.getByRole('heading', { level: 1, name: 'Hello, Lena Localadmin' }).waitFor();
      await page.getByRole('heading', { level: 2, name: 'Your organisations' }).waitFor();
      assert.ok((await page.locator('main').innerText()).includes('Larkspur Valley NHS Trust'));
      assert.ok(!(await page.content()).includes('Quenby Marsh'), 'dashboard does not name organisation B');
      await checkAxe(page);

      await page.getByRole('navigation', { name: 'Menu' }).getByRole('link', { name: 'Accounts', exact: true }).click();
      await page.waitForURL((u) => u.pathname === '/accounts');
      const table = page.locator('table#accounts');
      for (const a of [data.la, data.aliceA, data.bobA, data.newcomer]) await table.getByRole('link', { name: a.email }).waitFor();
      assert.equal(await table.locator('tbody tr').count(), 4, 'exactly the four accounts of organisation A');
      const listing = await page.content();
      for (const leak of [data.secretB.email, data.otherB.email, 'Bramblewick', 'Snodgrass', data.admin.email]) {
        assert.ok(!listing.includes(leak), `accounts list must not show ${leak}`);
      }
      await checkAxe(page);

      // Searching for an org B name finds nothing.
      await page.getByLabel(/Search by email address/).fill('bramblewick');
      await Promise.all([page.waitForURL((u) => u.searchParams.get('q') === 'bramblewick'), page.getByRole('button', { name: 'Search' }).click()]);
      await page.getByText('No accounts match.').waitFor();
      await checkAxe(page);

      // By URL: another organisation's account and organisation are "not found", saying nothing.
      const forbidden = [`/accounts/${data.secretB.id}`, `/organisations/${data.orgB.id}`, `/accounts?org=${data.orgB.id}`];
      for (const url of forbidden) {
        watch.expectDocumentStatus(404);
        const res = await page.goto(url);
        assert.equal(res?.status(), 404, `${url} answers 404`);
        await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
        assert.match(await page.title(), /^Page not found/);
        const html = await page.content();
        for (const leak of [data.secretB.email, 'Ottoline', 'Bramblewick', 'Quenby Marsh', data.orgB.code, data.orgB.domain]) {
          assert.ok(!html.includes(leak), `${url} must not reveal ${leak}`);
        }
        await checkAxe(page);
      }

      // Their own organisation's pages do open, so the 404s above are about scope.
      const own = await page.goto(`/accounts/${data.aliceA.id}`);
      assert.equal(own?.status(), 200);
      await page.getByRole('heading', { level: 1, name: 'Zephyrine Quillfeather' }).waitFor();
      await checkAxe(page);
      watch.assertClean();
    } finally {
      await context.close();
    }
  });

  test('an account that must change its password is held on the change page until it does', { timeout: 180_000 }, async () => {
    const { context, page, watch } = await openPage();
    try {
      await page.goto('/signin');
      await signIn(page, data.newcomer.email, TEST_PASSWORD, (u) => u.pathname === '/password/change');
      await page.getByRole('heading', { level: 1, name: 'Change your password' }).waitFor();
      await page.getByText('You must choose a new password before you continue.').waitFor();
      assert.equal(await page.getByRole('navigation', { name: 'Menu' }).count(), 0, 'no menu while the change is pending');
      await checkAxe(page);

      for (const url of ['/', '/accounts', `/accounts/${data.newcomer.id}`, '/organisations', '/audit']) {
        await page.goto(url);
        assert.equal(path(page), '/password/change', `${url} leads back to the change page`);
      }
      await checkAxe(page);

      // Mismatched confirmation: the form comes back with an error summary.
      watch.expectDocumentStatus(400);
      await page.getByLabel('Current password').fill(TEST_PASSWORD);
      await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
      await page.getByLabel('Confirm new password').fill('granite-otter-lantern-43');
      const [rejected] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/password/change'),
        page.getByRole('button', { name: 'Change password' }).click(),
      ]);
      assert.equal(rejected.status(), 400);
      await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
      assert.match(await page.title(), /^Error: Change your password/);
      await checkAxe(page);

      await page.getByLabel('Current password').fill(TEST_PASSWORD);
      await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
      await page.getByLabel('Confirm new password').fill(NEW_PASSWORD);
      await Promise.all([page.waitForURL((u) => u.pathname === '/' && u.searchParams.get('changed') === '1'), page.getByRole('button', { name: 'Change password' }).click()]);
      await page.getByText('Your password has been changed.').waitFor();
      await page.getByRole('heading', { level: 1, name: 'Hello, Nina Newcomer' }).waitFor();
      await checkAxe(page);

      // Released: other pages open now, and the new password is the one that works.
      await Promise.all([page.waitForURL((u) => u.pathname === `/accounts/${data.newcomer.id}`), page.getByRole('link', { name: 'Your account details' }).click()]);
      await page.getByRole('heading', { level: 1, name: 'Nina Newcomer' }).waitFor();
      const flag = page.locator('.nhsuk-summary-list__row', { hasText: 'Must change password at next sign-in' }).locator('dd').first();
      assert.equal((await flag.innerText()).trim(), 'No', 'the flag is cleared');
      await Promise.all([page.waitForURL((u) => u.pathname === '/signin'), page.getByRole('button', { name: 'Sign out' }).click()]);
      await signIn(page, data.newcomer.email, NEW_PASSWORD, (u) => u.pathname === '/');
      await page.getByRole('heading', { level: 1, name: 'Hello, Nina Newcomer' }).waitFor();
      watch.assertClean();
    } finally {
      await context.close();
    }
  });
});
