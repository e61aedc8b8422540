import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { makeAccount, signedInClient } from '../platform/testing/factories.js';
import { ManualClock, testApp } from '../platform/testing/app.js';
import { recoveryTestConfig, type RecoveryWorld, seedWorld } from './recovery.fixtures.js';

describeEachDatabase('reset review page', (t) => {
  let app: FastifyInstance;
  const clock = new ManualClock(new Date('2026-03-03T10:00:00Z'));
  let w: RecoveryWorld;

  before(async () => {
    w = await seedWorld(t.handle.db);
    ({ app } = await testApp(t.handle.db, { clock, config: recoveryTestConfig() }));
  });
  after(async () => app.close());

  test('a plain user is refused (403) the page as well as its actions; the LA opens it', async () => {
    const u = await makeAccount(t.handle.db, { organisationId: w.org.id });
    const plain = await signedInClient(app, clock, u.email);
    for (const url of ['/recovery/review', `/recovery/review?org=${w.org.id}`]) {
      const r = await plain.get(url);
      assert.equal(r.status, 403, url);
      assert.doesNotMatch(r.body, /Open the review of an organisation/);
    }
    const la = await signedInClient(app, clock, w.la.email);
    const page = await la.get('/recovery/review');
    assert.equal(page.status, 200);
    assert.match(page.body, new RegExp(w.org.name));
    assert.equal((await la.get(`/recovery/review?org=${w.org.id}`)).status, 200);
  });
});
