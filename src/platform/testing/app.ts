import { totpCode } from '../../mfa/mfa.js';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../http/app.js';
import type { CapabilityPlugin } from '../http/plugin.js';
import { PLUGINS } from '../../main/plugins.js';
import { ManualClock, systemClock, type Clock } from '../clock.js';
import { type Config, loadConfig } from '../config/config.js';
import type { Db } from '../db/db.js';
import { createLogger } from '../log/log.js';
import { configSections } from '../../main/config.js';

/** The secret key of test configurations: factories encrypt TOTP secrets with it. */
export const TEST_SECRET_KEY = '7e57'.repeat(16);

/** TOTP secrets of test accounts, by address (factories fill it; clients use it to pass MFA). */
export const testTotpSecrets = new Map<string, string>();

/** A configuration for tests: the test secret key, quiet logs, the given overrides. */
export function testConfig(overrides: Record<string, unknown> = {}): Config {
  return loadConfig(configSections, {}, { dataDir: '/tmp/postwarden-test', secretKey: TEST_SECRET_KEY, logLevel: 'silent', ...overrides });
}

/** The real app over a test database (nothing mocked; `plugins`: the composition root's unless given). Use `inject`, or `listen` for browsers. */
export async function testApp(db: Db, opts: { config?: Config; clock?: Clock; plugins?: readonly CapabilityPlugin[] } = {}): Promise<{ app: FastifyInstance; config: Config; clock: Clock }> {
  const config = opts.config ?? testConfig();
  const clock = opts.clock ?? systemClock;
  const app = await buildApp({ config, db, logger: createLogger('silent'), clock }, opts.plugins ?? PLUGINS);
  await app.ready();
  return { app, config, clock };
}

export { ManualClock };

/** Cookie jar for inject(): keeps cookies across requests like a browser would. */
export class CookieJar {
  private cookies = new Map<string, string>();
  store(setCookie: string | string[] | undefined): void {
    for (const c of [setCookie ?? []].flat()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(c) || /max-age=0/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  get(name: string): string | undefined {
    return this.cookies.get(name);
  }
}

/** A signed-in browser-like client for inject(): fetches CSRF tokens from forms as a user would. */
export class TestClient {
  readonly jar = new CookieJar();
  /**
   * With a ManualClock, signIn passes the authenticator step for accounts that have a
   * test TOTP secret, advancing the clock 30 s first so that every code is fresh (codes
   * cannot be replayed).
   */
  constructor(private app: FastifyInstance, private clock?: ManualClock) {}

  async get(url: string): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
    const r = await this.app.inject({ method: 'GET', url, headers: { cookie: this.jar.header() } });
    this.jar.store(r.headers['set-cookie'] as string[] | string | undefined);
    return { status: r.statusCode, body: r.body, headers: r.headers };
  }

  /** The _csrf value of the first form on a page. */
  async csrfFrom(url: string): Promise<string> {
    const page = await this.get(url);
    const m = /name="_csrf" value="([^"]+)"/.exec(page.body);
    if (!m) throw new Error(`no CSRF token on ${url} (status ${page.status})`);
    return m[1]!;
  }

  async post(url: string, form: Record<string, string>, opts: { csrfFrom?: string; csrf?: string | null } = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
    const csrf = opts.csrf === null ? undefined : opts.csrf ?? (await this.csrfFrom(opts.csrfFrom ?? url));
    const payload = new URLSearchParams({ ...form, ...(csrf ? { _csrf: csrf } : {}) }).toString();
    const r = await this.app.inject({
      method: 'POST', url, payload, headers: { cookie: this.jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    });
    this.jar.store(r.headers['set-cookie'] as string[] | string | undefined);
    return { status: r.statusCode, body: r.body, headers: r.headers };
  }

  async signIn(email: string, password: string): Promise<{ status: number; location: unknown }> {
    const r = await this.post('/signin', { email, password }, { csrfFrom: '/signin' });
    const secret = testTotpSecrets.get(email);
    if (r.status === 303 && String(r.headers.location).startsWith('/signin/verify') && secret && this.clock) {
      this.clock.advance(30_000);
      const v = await this.post('/signin/verify', { code: totpCode(secret, this.clock.now()) }, { csrfFrom: '/signin/verify' });
      return { status: v.status, location: v.headers.location };
    }
    return { status: r.status, location: r.headers.location };
  }
}
