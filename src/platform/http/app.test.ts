import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { cliContext } from '../context.js';
import { createLogger } from '../log/log.js';
import { describeEachDatabase } from '../testing/databases.js';
import { makeAccount, makeOrganisation } from '../testing/factories.js';
import { testConfig } from '../testing/app.js';
import { systemClock } from '../clock.js';
import { createApiToken } from '../../signin/tokens.commands.js';
import { buildApp } from './app.js';
import { PLUGINS } from '../../main/plugins.js';

describeEachDatabase('the app at its edges', (t) => {
  let app: FastifyInstance;
  const lines: string[] = [];
  let token: string;

  before(async () => {
    const log = new PassThrough();
    log.on('data', (c: Buffer) => lines.push(c.toString()));
    app = await buildApp({ config: testConfig(), db: t.handle.db, logger: createLogger('info', log), clock: systemClock }, PLUGINS);
    await app.ready();
    const org = await makeOrganisation(t.handle.db);
    const a = await makeAccount(t.handle.db, { organisationId: org.id });
    token = (await createApiToken(t.handle.db, cliContext(new Date()), { email: a.email, name: 'edge test' })).token;
  });
  after(async () => app.close());

  test('the request log keeps the path and the query names, never the query values', async () => {
    lines.length = 0;
    await app.inject({ url: '/signin?next=%2Faccounts%3Fq%3Dsecret-search-term&email=jane.doe%40example.org' });
    await app.inject({ url: '/recovery/self-service/reset?token=one-time-link-value' });
    await new Promise((r) => setImmediate(r));
    const urls = lines.map((l) => JSON.parse(l) as { msg: string; req?: { url: string } }).filter((l) => l.msg === 'incoming request').map((l) => l.req!.url);
    assert.deepEqual(urls, ['/signin?next=[redacted]&email=[redacted]', '/recovery/self-service/reset?token=[redacted]']);
    const all = lines.join('\n');
    for (const secret of ['secret-search-term', 'jane.doe', 'one-time-link-value']) assert.ok(!all.includes(secret), `${secret} reached the log`);
  });

  test('an unknown route under /api/v1 is 404 JSON, with or without a token; a known route without one stays 401', async () => {
    for (const method of ['POST', 'GET', 'PUT', 'DELETE'] as const) {
      for (const headers of [{}, { authorization: `Bearer ${token}` }, { authorization: 'Bearer pwt_not-a-token' }]) {
        const r = await app.inject({ method, url: '/api/v1/no-such-thing', headers, payload: method === 'GET' ? undefined : {} });
        assert.equal(r.statusCode, 404, `${method} ${JSON.stringify(headers)}`);
        assert.equal((r.json() as { error: string }).error, 'not_found');
      }
    }
    const known = await app.inject({ method: 'GET', url: '/api/v1/me' });
    assert.equal(known.statusCode, 401);
    assert.equal((known.json() as { error: string }).error, 'unauthenticated');
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })).statusCode, 200);
  });
});
