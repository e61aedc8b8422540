import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { browserSkip, checkAxe, signInThroughForm, useBrowserPortal } from '../platform/testing/browser.js';
import { makeAccount, makeOrganisation, TEST_PASSWORD } from '../platform/testing/factories.js';
import { HOSTILE_HTML, phishMessage, postponePrompts } from './reports.testing.js';

/**
 * In Chromium: a user uploads a hostile sample through the upload page (its script posts
 * the raw file), then the CSOC opens it. Nothing in the sample runs and nothing is fetched
 * from anywhere: every request the page (and its frame) makes is recorded.
 */
describe('phishing reports in Chromium', { skip: browserSkip }, () => {
  const fx = useBrowserPortal(async (db) => {
    const org = await makeOrganisation(db, { domains: ['browser-trust.example'] });
    const user = await makeAccount(db, { organisationId: org.id, email: 'reporter@browser-trust.example' });
    const csoc = await makeAccount(db, { organisationId: org.id, email: 'analyst@browser-trust.example', roles: ['csoc'] });
    return { user, csoc };
  });

  test('upload a hostile sample, then view it safely as the CSOC', { timeout: 240_000 }, async () => {
    const hostile = phishMessage({ subject: 'Hostile sample', html: HOSTILE_HTML });
    {
      const { context, page, watch } = await fx.openPage();
      try {
        await page.goto('/signin');
        await signInThroughForm(page, fx.clock, fx.seeded.user.email, TEST_PASSWORD, (u) => u.pathname === '/' || u.pathname === '/security/questions');
        await postponePrompts(page);
        await page.goto('/reports/upload');
        await page.getByRole('heading', { level: 1, name: 'Report a suspicious email' }).waitFor();
        await page.locator('#report-upload-section').waitFor({ state: 'visible' });
        await checkAxe(page);
        await page.getByRole('button', { name: 'Send report' }).click();
        await page.getByText('Choose the .eml or .msg file of the suspicious message.').waitFor();
        await page.getByLabel('The suspicious message (.eml or .msg file)').setInputFiles({ name: 'hostile.eml', mimeType: 'message/rfc822', buffer: hostile });
        await Promise.all([page.waitForURL((u) => u.searchParams.has('sent')), page.getByRole('button', { name: 'Send report' }).click()]);
        await page.getByText(/Thank you, we received your report/).waitFor();
        await page.getByText('“Hostile sample” – being checked').waitFor();
        await checkAxe(page);
        watch.assertClean();
      } finally {
        await context.close();
      }
    }

    const { context, page, watch } = await fx.openPage();
    try {
      await page.goto('/signin');
      await signInThroughForm(page, fx.clock, fx.seeded.csoc.email, TEST_PASSWORD, (u) => u.pathname === '/' || u.pathname === '/security/questions');
      await postponePrompts(page);
      await page.goto('/reports');
      await page.getByRole('heading', { level: 1, name: 'Phishing reports' }).waitFor();
      await checkAxe(page);
      await page.evaluate(() => {
        const w = globalThis as unknown as { addEventListener(t: string, f: (e: { data: unknown }) => void): void; __messages: unknown[] };
        w.__messages = [];
        w.addEventListener('message', (e) => w.__messages.push(e.data));
      });
      await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/reports/samples/')), page.getByRole('link', { name: 'Hostile sample' }).click()]);
      const frameHandle = await page.locator('#sample-frame').elementHandle();
      const frame = await frameHandle!.contentFrame();
      assert.ok(frame, 'the sanitised HTML frame is there');
      await frame.waitForLoadState('load');
      await frame.getByText('Account suspended').waitFor();
      // Nothing left the origin, nothing ran: the watch records every request of the page and its frame.
      assert.deepEqual(watch.requests.filter((r) => r.includes('evil-phish')), []);
      assert.deepEqual(await page.evaluate(() => (globalThis as unknown as { __messages?: unknown[] }).__messages ?? []), []);
      const counts = await frame.evaluate(() => {
        const d = (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number }; title: string } }).document;
        return { active: d.querySelectorAll('a, script, img, iframe, object, embed, form, svg, video, link, meta[http-equiv], base, [onload], [onerror], [onclick]').length, title: d.title };
      });
      assert.equal(counts.active, 0);
      assert.equal(counts.title, 'Sanitised HTML of the reported message');
      assert.equal(watch.requests.filter((r) => /\/reports\/samples\/[0-9a-f-]+\/html$/.test(r)).length, 1, 'the frame was loaded from its own route');
      assert.equal(await page.title(), 'Reported message: Hostile sample – Postwarden');
      // The link is text, with its defanged address; nothing in the frame is a link, script or image.
      assert.match(await frame.locator('body').innerText(), /here \[hxxps:\/\/login\[\.\]evil-phish\[\.\]example\/verify\]/);
      await checkAxe(page);

      await page.getByLabel('Phishing').check();
      await Promise.all([page.waitForURL((u) => u.searchParams.get('done') === 'verdict'), page.getByRole('button', { name: 'Record verdict' }).click()]);
      await page.getByText('The verdict was recorded and the reporters will be told.').waitFor();
      await checkAxe(page);
      await Promise.all([page.waitForURL((u) => u.searchParams.get('done') === 'blocked'), page.getByRole('button', { name: 'Block', exact: true }).click()]);
      await page.goto('/reports/blocks');
      await page.getByRole('heading', { level: 1, name: 'Block rules' }).waitFor();
      await checkAxe(page);
      await page.goto('/reports/campaigns');
      await checkAxe(page);
      await page.locator('#campaigns a').first().click();
      await page.getByText('Verdict for the whole campaign').waitFor();
      await checkAxe(page);
      await page.goto('/reports/submissions');
      await checkAxe(page);
      assert.deepEqual(watch.requests.filter((r) => r.includes('evil-phish')), []);
      watch.assertClean();
    } finally {
      await context.close();
    }
  });
});
