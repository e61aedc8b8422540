import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEachDatabase, createTestDatabase } from '../testing/databases.js';
import { testApp } from '../testing/app.js';

describeEachDatabase('health and metrics', (t) => {
  test('/healthz is 200 while the database answers; /metrics is Prometheus text', async () => {
    const { app } = await testApp(t.handle.db);
    try {
      const h = await app.inject({ url: '/healthz' });
      assert.equal(h.statusCode, 200);
      assert.deepEqual(h.json(), { status: 'ok', database: 'ok' });
      await app.inject({ url: '/signin' });
      const m = await app.inject({ url: '/metrics' });
      assert.equal(m.statusCode, 200);
      assert.match(m.body, /postwarden_http_requests_total\{method="GET",route="\/signin",status="200"\}/);
      assert.match(m.body, /postwarden_process_cpu_seconds_total/);
    } finally {
      await app.close();
    }
  });

  test('/healthz is 503 when the database does not answer', async () => {
    const doomed = await createTestDatabase(t.dialect);
    const { app } = await testApp(doomed.db);
    try {
      await doomed.drop(); // closes every connection and removes the database
      const h = await app.inject({ url: '/healthz' });
      assert.equal(h.statusCode, 503);
      assert.equal((h.json() as { status: string }).status, 'unavailable');
    } finally {
      await app.close();
    }
  });
});

test('every response carries the strict CSP and no-framing headers', async () => {
  const db = await createTestDatabase('sqlite');
  const { app } = await testApp(db.db);
  try {
    const r = await app.inject({ url: '/signin' });
    const csp = String(r.headers['content-security-policy']);
    for (const d of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"]) {
      assert.ok(csp.includes(d), `CSP lacks ${d}`);
    }
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.doesNotMatch(r.body, /<script(?![^>]*\bsrc=)[^>]*>/);
    assert.doesNotMatch(r.body, /\sstyle="/);
  } finally {
    await app.close();
    await db.drop();
  }
});
