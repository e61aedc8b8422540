import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { after, before } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Clock } from '../clock.js';
import type { Config } from '../config/config.js';
import type { Db } from '../db/db.js';
import { totpCode } from '../../mfa/mfa.js';
import { ManualClock, testApp, testConfig, testTotpSecrets } from './app.js';
import { createTestDatabase } from './databases.js';

/**
 * Browser tests: the real portal, listening on a loopback port, driven by Debian's
 * Chromium through playwright-core, with axe-core run on every page a journey visits.
 */

const require = createRequire(import.meta.url);

/**
 * Why browser tests are skipped, or false when they run. `scripts/run-tests.mjs` sets
 * PW_CHROMIUM_SKIP when no Chromium is installed (and fails the run instead under CI).
 */
export const browserSkip: string | false = process.env.PW_CHROMIUM_SKIP
  ? `!!! BROWSER TESTS SKIPPED — NOTHING IN THIS SUITE WAS CHECKED: ${process.env.PW_CHROMIUM_SKIP} !!!`
  : false;

/** Starts a headless Chromium with no background traffic of its own. Throws if it cannot start. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.PW_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
    timeout: 60_000,
  });
}

export interface RunningPortal {
  /** `http://localhost:PORT`: a secure context by name, which WebAuthn needs. */
  baseUrl: string;
  config: Config;
  close(): Promise<void>;
}

/** The real app (as testApp builds it) listening on a free loopback port. Throws if it cannot listen. */
export async function startPortal(db: Db, opts: { config?: Config; clock?: Clock } = {}): Promise<RunningPortal> {
  const { app, config } = await testApp(db, { config: opts.config ?? testConfig(), clock: opts.clock });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { baseUrl: `http://localhost:${port}`, config, close: () => app.close() };
}

/** What a watched page did that a clean page must not: foreign requests, console errors, script errors. */
export interface PageWatch {
  readonly requests: string[];
  readonly problems: string[];
  /** Forgives a console error the test caused on purpose (a 4xx document: Chromium logs "Failed to load resource"). */
  expectDocumentStatus(status: number): void;
  /** Fails with every problem seen since the page was opened (or since the last call); forgets unused expectations. */
  assertClean(where?: string): void;
}

const watches = new WeakMap<Page, PageWatch>();

/**
 * Records every request the page makes and every console error (CSP violations are
 * console errors in Chromium), uncaught exception and failed sub-resource. Anything not
 * from `baseUrl`'s origin is a problem: the portal must load nothing from elsewhere.
 */
export function watchPage(page: Page, baseUrl: string): PageWatch {
  const origin = new URL(baseUrl).origin;
  const requests: string[] = [];
  const problems: string[] = [];
  const expectedStatuses: number[] = [];
  page.on('request', (req) => {
    const url = req.url();
    requests.push(`${req.method()} ${url}`);
    if (url.startsWith('data:') || url === 'about:blank') return;
    if (new URL(url).origin !== origin) problems.push(`request to another origin: ${req.method()} ${url}`);
  });
  page.on('response', (res) => {
    if (res.request().resourceType() !== 'document' && res.status() >= 400) problems.push(`sub-resource failed: ${res.status()} ${res.url()}`);
  });
  page.on('requestfailed', (req) => {
    problems.push(`request failed: ${req.method()} ${req.url()} (${req.failure()?.errorText ?? 'unknown'})`);
  });
  page.on('pageerror', (err) => problems.push(`uncaught exception: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    const m = /^Failed to load resource: the server responded with a status of (\d+)/.exec(text);
    if (m && msg.location().url === page.url()) {
      const i = expectedStatuses.indexOf(Number(m[1]));
      if (i >= 0) {
        expectedStatuses.splice(i, 1);
        return;
      }
    }
    problems.push(`console error: ${text} (at ${msg.location().url})`);
  });
  const watch: PageWatch = {
    requests,
    problems,
    expectDocumentStatus: (status) => void expectedStatuses.push(status),
    assertClean(where = page.url()) {
      expectedStatuses.length = 0;
      const seen = problems.splice(0);
      assert.deepEqual(seen, [], `page problems on ${where}:\n  ${seen.join('\n  ')}`);
    },
  };
  watches.set(page, watch);
  return watch;
}

interface AxeResult {
  violations: { id: string; impact: string | null; help: string; helpUrl: string; nodes: { target: unknown[]; failureSummary?: string }[] }[];
}

let axeSource: string | undefined;

/**
 * Runs axe-core (WCAG 2.1 A/AA and best practice) on the page as it is now and fails
 * on any violation, listing rule, help and the elements. Also fails if the page (which
 * must be watched with watchPage) made a foreign request or logged an error.
 */
export async function checkAxe(page: Page): Promise<void> {
  const watch = watches.get(page);
  assert.ok(watch, 'checkAxe needs a page opened with watchPage(), so requests and console errors are checked too');
  await page.waitForLoadState('load');
  // evaluate() goes through the DevTools protocol, so the CSP (no inline script) does not block it.
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // Runs in the page; this project compiles without the DOM library.
    const { axe, document } = globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<AxeResult> }; document: unknown };
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return {
      violations: r.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
        nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
      })),
    };
  });
  const where = `${await page.title()} <${page.url()}>`;
  const report = result.violations.map((v) =>
    `${v.id} (${v.impact ?? 'n/a'}): ${v.help} ${v.helpUrl}\n${v.nodes.map((n) => `    ${JSON.stringify(n.target)}${n.failureSummary ? `\n      ${n.failureSummary.replace(/\n/g, '\n      ')}` : ''}`).join('\n')}`,
  );
  assert.deepEqual(report, [], `axe found ${result.violations.length} violation(s) on ${where}:\n  ${report.join('\n  ')}`);
  watch.assertClean(where);
}

/**
 * Signs in through the real form as a person would. Accounts with a test authenticator
 * (factories give privileged accounts one) pass the code step too, with a code for a
 * fresh time step (the clock moves on 30 s first: codes cannot be replayed). Runs axe on
 * the code page. Waits until the page after sign-in matches `landed`.
 */
export async function signInThroughForm(
  page: Page, clock: ManualClock, email: string, password: string, landed: (url: URL) => boolean,
): Promise<void> {
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  const secret = testTotpSecrets.get(email);
  if (!secret) {
    await Promise.all([page.waitForURL(landed), page.getByRole('button', { name: 'Sign in' }).click()]);
    return;
  }
  await Promise.all([page.waitForURL((u) => u.pathname === '/signin/verify'), page.getByRole('button', { name: 'Sign in' }).click()]);
  await checkAxe(page);
  clock.advance(30_000);
  await page.getByLabel('Code from your authenticator app').fill(totpCode(secret, clock.now()));
  await Promise.all([page.waitForURL(landed), page.getByRole('button', { name: 'Continue' }).click()]);
}

export interface BrowserPortal<S> {
  /** The test database the portal runs on. */
  readonly db: Db;
  readonly portal: RunningPortal;
  readonly browser: Browser;
  /** What `seed` returned. */
  readonly seeded: S;
  /** Real time to start with, moved on by signInThroughForm for each code step. */
  readonly clock: ManualClock;
  /** A fresh profile (no cookies) on the portal, with one watched page. */
  openPage(): Promise<{ context: BrowserContext; page: Page; watch: PageWatch }>;
}

/**
 * Registers before/after hooks in the current suite: a SQLite test database seeded by
 * `seed`, the real portal on it, and Chromium; all closed afterwards. One database is
 * enough for browser journeys (route tests cover both).
 */
export function useBrowserPortal<S>(seed: (db: Db) => Promise<S>): BrowserPortal<S> {
  const clock = new ManualClock(new Date());
  let handle: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let portal: RunningPortal | undefined;
  let browser: Browser | undefined;
  let seeded: S | undefined;
  before(async () => {
    handle = await createTestDatabase('sqlite');
    seeded = await seed(handle.db);
    portal = await startPortal(handle.db, { clock });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await portal?.close();
    await handle?.drop();
  });
  const ready = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('browser portal not ready: use it inside a test');
    return v;
  };
  return {
    get db() { return ready(handle).db; },
    get portal() { return ready(portal); },
    get browser() { return ready(browser); },
    get seeded() { return ready(seeded); },
    clock,
    async openPage() {
      const context = await ready(browser).newContext({ baseURL: ready(portal).baseUrl });
      context.setDefaultTimeout(30_000);
      context.setDefaultNavigationTimeout(60_000);
      const page = await context.newPage();
      return { context, page, watch: watchPage(page, ready(portal).baseUrl) };
    },
  };
}
