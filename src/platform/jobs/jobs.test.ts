import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../log/log.js';
import { describeEachDatabase } from '../testing/databases.js';
import { releaseLease, takeLease, withLease } from './leases.js';
import { startRepeating } from './scheduler.js';

describeEachDatabase('job leases', (t) => {
  test('one holder at a time; a lease can be renewed by its holder and taken over once expired', async () => {
    const { db } = t.handle;
    const now = new Date('2026-01-01T00:00:00Z');
    assert.equal(await takeLease(db, 'j', 'a', now, 60_000), true);
    assert.equal(await takeLease(db, 'j', 'b', now, 60_000), false);
    assert.equal(await takeLease(db, 'j', 'a', now, 60_000), true, 'renewed by its holder');
    assert.equal(await takeLease(db, 'j', 'b', new Date(now.getTime() + 60_000), 60_000), true, 'expired: taken over');
    await releaseLease(db, 'j', 'b', now);
    assert.equal(await takeLease(db, 'j', 'a', now, 60_000), true, 'released');
    assert.equal(await takeLease(db, 'k', 'x', now, 60_000), true);
    assert.equal(await withLease(db, 'k', 'y', now, 60_000, async () => 'ran'), undefined, 'another node holds it: not run');
    assert.equal(await withLease(db, 'k', 'x', now, 60_000, async () => 'ran'), 'ran');
    assert.equal(await withLease(db, 'k', 'y', now, 60_000, async () => 'ran'), 'ran', 'released after the run');
  });
});

test('a repeating job logs its errors instead of throwing, never overlaps, and stop() waits for the run', async () => {
  const lines: string[] = [];
  const logger = createLogger('error', { write: (s: string) => lines.push(s) } as unknown as NodeJS.WritableStream);
  let running = 0;
  let maxRunning = 0;
  let runs = 0;
  const job = startRepeating({
    name: 't', intervalMs: 3_600_000, logger,
    run: async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setImmediate(r));
      running--;
      if (++runs === 2) throw new Error('boom');
    },
  });
  await Promise.all([job.runNow(), job.runNow(), job.runNow()]);
  await job.stop();
  assert.equal(runs, 3);
  assert.equal(maxRunning, 1);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /background job failed/);
});
