import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ManualClock } from '../platform/clock.js';
import type { Config } from '../platform/config/config.js';
import { buildApp } from '../platform/http/app.js';
import { PLUGINS } from '../main/plugins.js';
import { createLogger } from '../platform/log/log.js';
import { CookieJar } from '../platform/testing/app.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { makeAccount } from '../platform/testing/factories.js';
import { charFor, giveQuestions, recoveryTestConfig, type RecoveryWorld, seedWorld, ukMobile } from './recovery.fixtures.js';

/** What an observer of one response can compare: status, cookie names, the page with its secrets and texts masked, the positions asked. */
interface Seen {
  status: number;
  cookies: string[];
  retryAfter: unknown;
  page: string;
  items: number;
  /** Compared with the challenge of the page before: 'first', 'same' or 'new'. */
  challenge: string;
}

/** A browser from one client address (Fastify inject's remoteAddress), keeping cookies. */
class Browser {
  readonly jar = new CookieJar();
  private last: string | null = null;
  constructor(private app: FastifyInstance, private ip: string) {}

  private async send(method: 'GET' | 'POST', url: string, form?: Record<string, string>): Promise<{ status: number; body: string; cookies: string[]; retryAfter: unknown }> {
    const r = await this.app.inject({
      method, url, remoteAddress: this.ip, headers: { cookie: this.jar.header(), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(form ? { payload: new URLSearchParams(form).toString() } : {}),
    });
    const set = [r.headers['set-cookie'] ?? []].flat() as string[];
    this.jar.store(set);
    return { status: r.statusCode, body: r.body, cookies: set.map((c) => c.split('=')[0]!).sort(), retryAfter: r.headers['retry-after'] };
  }

  /** Posts a form of the self-service pages (with a CSRF token from the first page), and records what is seen. */
  async post(url: string, form: Record<string, string>): Promise<{ seen: Seen; body: string }> {
    const first = await this.send('GET', '/password/forgotten');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(first.body)![1]!;
    const r = await this.send('POST', url, { ...form, _csrf: csrf });
    const asked = [...r.body.matchAll(/The (\d+)(?:st|nd|rd|th) character of your answer to: ([^<]+)</g)].map((m) => `${m[1]} ${m[2]!.trim()}`);
    const key = asked.join('|');
    const challenge = !asked.length ? 'none' : this.last === null ? 'first' : this.last === key ? 'same' : 'new';
    if (asked.length) this.last = key;
    const page = r.body.replace(/name="(_csrf|flow)" value="[^"]+"/g, 'name="$1" value="…"')
      .replace(/The \d+(?:st|nd|rd|th) character of your answer to: [^<]+</g, 'The Nth character of your answer to: …<');
    return { seen: { status: r.status, cookies: r.cookies, retryAfter: r.retryAfter, page, items: asked.length, challenge }, body: r.body };
  }
}

const flowOf = (body: string): string => /name="flow" value="([^"]+)"/.exec(body)![1]!;
const askedOf = (body: string): { question: string; position: number }[] =>
  [...body.matchAll(/The (\d+)(?:st|nd|rd|th) character of your answer to: ([^<]+)</g)].map((m) => ({ position: Number(m[1]), question: m[2]!.trim().replace(/&#39;/g, "'") }));

describeEachDatabase('self-service pages (HTTP)', (t) => {
  let app: FastifyInstance;
  let config: Config;
  let w: RecoveryWorld;
  const clock = new ManualClock(new Date('2026-03-03T10:00:00Z'));

  before(async () => {
    w = await seedWorld(t.handle.db);
    config = recoveryTestConfig();
    app = await buildApp({ config, db: t.handle.db, logger: createLogger('silent'), clock }, PLUGINS);
    await app.ready();
  });
  after(async () => {
    await app.close();
  });

  async function person(): Promise<{ id: string; email: string; mobile: string }> {
    const mobile = ukMobile();
    const u = await makeAccount(t.handle.db, { organisationId: w.org.id, mobile });
    await giveQuestions(t.handle.db, u.id);
    return { ...u, mobile };
  }

  /** The same sequence of requests, all answers wrong: what an observer sees at each step. */
  async function walk(b: Browser, email: string, last4: string, wrongChars: (body: string) => string[]): Promise<Seen[]> {
    const seen: Seen[] = [];
    const start = async (): Promise<string> => {
      const r = await b.post('/password/forgotten', { email, mobileLast4: last4 });
      seen.push(r.seen);
      return r.body;
    };
    const answer = async (body: string, chars = wrongChars(body)): Promise<void> => {
      seen.push((await b.post('/password/forgotten/answer', { flow: flowOf(body), char1: chars[0]!, char2: chars[1]!, code: '' })).seen);
    };
    let page = await start();
    page = await start(); // asked again before answering
    await answer(page);
    for (let round = 0; round < 4; round++) {
      page = await start();
      await answer(page, ['', 'a']); // a typing mistake: the same challenge shown again, nothing counted
      await answer(page);
    }
    await start(); // five wrong answers: throttled
    return seen;
  }

  test('a real account, an unknown address and a real address with wrong digits look the same at every step of the same wrong answers', async () => {
    const real = await person();
    const other = await person();
    const wrongReal = (body: string): string[] => askedOf(body).map((i) => charFor(i, undefined, true));
    const ofReal = await walk(new Browser(app, '192.0.2.1'), real.email, real.mobile.slice(-4), wrongReal);
    const ofGhost = await walk(new Browser(app, '192.0.2.2'), 'no-such-person@example.test', real.mobile.slice(-4), () => ['q', 'q']);
    const ofWrongDigits = await walk(new Browser(app, '192.0.2.3'), other.email, other.mobile.slice(-4) === '0000' ? '1111' : '0000', () => ['q', 'q']);
    assert.deepEqual(ofReal.map((s) => [s.status, s.items, s.challenge]), [
      [200, 2, 'first'], [200, 2, 'same'], [200, 0, 'none'],
      [200, 2, 'new'], [400, 2, 'same'], [200, 0, 'none'],
      [200, 2, 'new'], [400, 2, 'same'], [200, 0, 'none'],
      [200, 2, 'new'], [400, 2, 'same'], [200, 0, 'none'],
      [200, 2, 'new'], [400, 2, 'same'], [200, 0, 'none'],
      [429, 0, 'none'],
    ], 'the real account: stable until answered, a new challenge after each answer, throttled after 5 wrong answers');
    assert.equal(ofReal.at(-1)!.retryAfter, String(15 * 60));
    assert.deepEqual(ofGhost, ofReal, 'an unknown address: the same responses, step by step');
    assert.deepEqual(ofWrongDigits, ofReal, 'wrong digits: the same responses, step by step');
    const rows = await t.handle.db.selectFrom('notifications').select(['template', 'recipient']).where('template', 'like', 'recovery/%').execute();
    assert.deepEqual(rows.filter((n) => n.template !== 'recovery/self-service-failures'), [], 'no SMS, no lock emails');
    assert.deepEqual(rows.map((n) => n.recipient).sort(), [w.la.email, w.la.email], 'the LA is told once for each real account at the threshold');
  });
});
