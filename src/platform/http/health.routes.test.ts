import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEachDatabase, createTestDatabase } from '../testing/databases.js';
import { testApp } from '../testing/app.js';
import { applyWorkerMetrics, createGatewayMetrics } from '../../gateway/gateway.metrics.js';
import { createLogger } from '../log/log.js';
import { startMetricsListener } from './health.routes.js';

describeEachDatabase('health and metrics', (t) => {
  test('/healthz is 200 while the database answers; the portal never serves /metrics, its own listener does', async () => {
    const { app } = await testApp(t.handle.db);
    const metrics = await startMetricsListener('127.0.0.1:0', createLogger('silent'));
    try {
      const h = await app.inject({ url: '/healthz' });
      assert.equal(h.statusCode, 200);
      assert.deepEqual(h.json(), { status: 'ok', database: 'ok' });
      await app.inject({ url: '/signin' });
      assert.equal((await app.inject({ url: '/metrics' })).statusCode, 404, 'not on the portal');
      const why = `health-test-${t.dialect}`;
      createGatewayMetrics().inc('postwarden_gateway_refused_recipients_total', { why });
      assert.ok(applyWorkerMetrics({ type: 'postwarden:gateway-metrics', batch: [{ name: 'postwarden_gateway_refused_recipients_total', labels: { why }, n: 2 }] }));
      assert.match(metrics.address, /^127\.0\.0\.1:\d+$/);
      const m = await fetch(`http://${metrics.address}/metrics`);
      assert.equal(m.status, 200);
      assert.match(String(m.headers.get('content-type')), /^text\/plain/);
      const body = await m.text();
      assert.match(body, /postwarden_http_requests_total\{method="GET",route="\/signin",status="200"\}/);
      assert.match(body, /postwarden_http_requests_total\{method="GET",route="unmatched",status="404"\}/);
      assert.match(body, /postwarden_process_cpu_seconds_total/);
      assert.match(body, new RegExp(`postwarden_gateway_refused_recipients_total\\{why="${why}"\\} 3`), 'the gateway counters, with what workers forwarded');
      assert.equal((await fetch(`http://${metrics.address}/healthz`)).status, 404, 'the metrics listener serves nothing else');
    } finally {
      await metrics.close();
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
