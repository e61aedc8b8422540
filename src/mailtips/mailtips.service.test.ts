import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openDatabase } from '../platform/db/db.js';
import { describeEachDatabase, withOwnDatabase } from '../platform/testing/databases.js';
import { type Config, loadConfig } from '../platform/config/config.js';
import { makeOrganisation } from '../platform/testing/factories.js';
import { ManualClock } from '../platform/clock.js';
import { purgeSenderHistory } from './mailtips.job.js';
import { openMailtips } from './mailtips.service.js';
import { configSections } from '../main/config.js';

/** The real config schema (without the HTTP test harness, which loads every route). */
const testConfig = (overrides: Record<string, unknown> = {}): Config =>
  loadConfig(configSections, {}, { dataDir: path.join(tmpdir(), 'pw-mailtips'), secretKey: '5a'.repeat(32), logLevel: 'silent', ...overrides });

const config = testConfig({ mailtipsWriteIntervalMs: 60_000, mailtipsVolumeCacheSeconds: 0 });
const day0 = new Date('2026-06-01T10:00:00Z');
const later = (days: number): Date => new Date(day0.getTime() + days * 86_400_000);

describeEachDatabase('sender history', (ctx) => {
  test('first contact per recipient, exact across two nodes; nothing stored in clear', async () => {
    const a = await openMailtips(ctx.handle.db, config);
    const b = await openMailtips(ctx.handle.db, config);
    try {
      const [d1, d2] = await a.decide(['Ann@Trust.example', 'bob@trust.example'], 'Sender@Outside.example', day0);
      assert.equal(d1!.firstContact, true);
      assert.equal(d2!.firstContact, true);
      await a.recordDelivered(['ann@trust.example'], '<sender@outside.example>', day0);
      // Node b never saw the pair: it asks the database.
      const [e1, e2] = await b.decide(['ann@trust.example', 'bob@trust.example'], 'sender@outside.example', day0);
      assert.equal(e1!.firstContact, false);
      assert.equal(e2!.firstContact, true);
      assert.equal(b.stats().cachedPairs, 1, 'b caches only the positive answer');
      const rows = await ctx.handle.db.selectFrom('mailtips_pairs').selectAll().execute();
      assert.equal(rows.length, 1);
      assert.doesNotMatch(JSON.stringify(rows), /ann|trust|sender|outside/i);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('low volume counts messages (not recipients) in the window, explained with the figures', async () => {
    const svc = await openMailtips(ctx.handle.db, config);
    const other = await openMailtips(ctx.handle.db, config);
    try {
      const sender = 'news@volume.example';
      assert.equal((await svc.decide(['x@t.example'], sender, day0))[0]!.senderCount, 0);
      for (let i = 0; i < 4; i++) await svc.recordDelivered(['x@t.example', 'y@t.example'], sender, later(i));
      let [d] = await svc.decide(['x@t.example'], sender, later(4));
      assert.deepEqual([d!.lowVolume, d!.senderCount, d!.threshold, d!.windowDays], [true, 4, 5, 90]);
      await svc.close(); // writes the batched counts
      await svc.recordDelivered(['z@t.example'], sender, later(4));
      [d] = await svc.decide(['x@t.example'], sender, later(4));
      assert.deepEqual([d!.lowVolume, d!.senderCount], [false, 5]);
      await svc.close();
      [d] = await other.decide(['x@t.example'], sender, later(4));
      assert.deepEqual([d!.lowVolume, d!.senderCount], [false, 5], 'another node sees the written counts');
      // 90 days after the first message it has left the window.
      [d] = await other.decide(['x@t.example'], sender, later(90));
      assert.deepEqual([d!.lowVolume, d!.senderCount], [true, 4]);
    } finally {
      await svc.close();
      await other.close();
    }
  });

  test('authenticated internal and platform senders are exempt; forged ones are not', async () => {
    const org = await makeOrganisation(ctx.handle.db, { domains: ['member.example'] });
    void org;
    const svc = await openMailtips(ctx.handle.db, config);
    try {
      const [internal] = await svc.decide(['x@t.example'], 'colleague@member.example', day0, { authenticated: true });
      assert.deepEqual([internal!.firstContact, internal!.lowVolume, internal!.exempt], [false, false, 'internal']);
      const [system] = await svc.decide(['x@t.example'], `no-reply@${config.platformDomain}`, day0, { authenticated: true });
      assert.equal(system!.exempt, 'system');
      const [forged] = await svc.decide(['x@t.example'], 'colleague@member.example', day0, { authenticated: false });
      assert.deepEqual([forged!.firstContact, forged!.exempt], [true, null]);
    } finally {
      await svc.close();
    }
  });

  test('retention: a pair unseen for the retention period is a first contact again, in cache and database', async () => {
    // Its own database: the purge is over the whole table, and is counted exactly.
    await withOwnDatabase(ctx.dialect, async ({ db }) => {
      const cfg = testConfig({ mailtipsRetentionDays: 30, mailtipsWriteIntervalMs: 60_000 });
      const svc = await openMailtips(db, cfg);
      try {
        await svc.recordDelivered(['old@t.example'], 'once@r.example', day0);
        await svc.recordDelivered(['recent@t.example'], 'twice@r.example', later(20));
        assert.equal((await svc.decide(['old@t.example'], 'once@r.example', later(30)))[0]!.firstContact, false);
        assert.equal((await svc.decide(['old@t.example'], 'once@r.example', later(31)))[0]!.firstContact, true);
        const purged = await purgeSenderHistory({ db, config: cfg, clock: new ManualClock(later(31)) });
        assert.equal(purged.pairs, 1, 'the old pair only, not the recent one');
        const fresh = await openMailtips(db, cfg);
        assert.equal((await fresh.decide(['old@t.example'], 'once@r.example', later(31)))[0]!.firstContact, true);
        assert.equal((await fresh.decide(['recent@t.example'], 'twice@r.example', later(31)))[0]!.firstContact, false);
        await fresh.close();
      } finally {
        await svc.close();
      }
    });
  });

  test('database unreachable: decide throws for an unknown pair (the gateway answers 451)', async () => {
    const handle = await openDatabase(ctx.handle.url);
    const svc = await openMailtips(handle.db, testConfig({ mailtipsWriteIntervalMs: 60_000, mailtipsVolumeCacheSeconds: 600 }));
    await svc.recordDelivered(['k@t.example'], 'known@d.example', day0);
    await svc.decide(['k@t.example'], 'known@d.example', day0);
    await handle.close();
    await assert.rejects(svc.decide(['new@t.example'], 'unknown@d.example', day0));
    await assert.rejects(svc.recordDelivered(['new@t.example'], 'unknown@d.example', day0));
    // A known pair is still answered from the cache, but the batched write fails and says so.
    assert.equal((await svc.decide(['k@t.example'], 'known@d.example', day0))[0]!.firstContact, false);
    await assert.rejects(svc.close());
    assert.equal(svc.stats().writeFailing, true);
  });
});
