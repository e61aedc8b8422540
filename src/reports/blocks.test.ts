import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { newId } from '../platform/ids.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { ruleInForce } from './blocks.js';
import { activeBlockRules, findLiveRule, insertBlockRule, listBlockRules } from './blocks.repo.js';

/** One rule of "in force", in memory and in every query, agreeing at the edges. */

const NOW = '2026-03-01T12:00:00.000Z';

test('a rule is in force until it is lifted or its expiry instant arrives', () => {
  assert.equal(ruleInForce({ liftedAt: null, expiresAt: null }, NOW), true);
  assert.equal(ruleInForce({ liftedAt: null, expiresAt: '2026-03-01T12:00:00.001Z' }, NOW), true);
  assert.equal(ruleInForce({ liftedAt: null, expiresAt: NOW }, NOW), false, 'expiring exactly now: no longer in force');
  assert.equal(ruleInForce({ liftedAt: null, expiresAt: '2026-03-01T11:59:59.999Z' }, NOW), false);
  assert.equal(ruleInForce({ liftedAt: '2026-02-01T00:00:00.000Z', expiresAt: null }, NOW), false);
  assert.equal(ruleInForce({ liftedAt: '2026-02-01T00:00:00.000Z', expiresAt: '2027-01-01T00:00:00.000Z' }, NOW), false);
});

describeEachDatabase('block rules in force, in SQL', (ctx) => {
  test('every query keeps exactly the rules ruleInForce keeps, at the edges too', async () => {
    const { db } = ctx.handle;
    const tag = randomBytes(4).toString('hex');
    const cases = [
      { name: 'until-lifted', expiresAt: null, liftedAt: null },
      { name: 'expires-later', expiresAt: '2026-03-01T12:00:00.001Z', liftedAt: null },
      { name: 'expires-now', expiresAt: NOW, liftedAt: null },
      { name: 'expired', expiresAt: '2026-03-01T11:59:59.999Z', liftedAt: null },
      { name: 'lifted', expiresAt: null, liftedAt: '2026-02-01T00:00:00.000Z' },
      { name: 'lifted-not-expired', expiresAt: '2027-01-01T00:00:00.000Z', liftedAt: '2026-02-01T00:00:00.000Z' },
    ];
    const ids = new Map<string, string>();
    for (const c of cases) {
      const id = newId();
      ids.set(id, c.name);
      await insertBlockRule(db, {
        id, kind: 'sender-address', value: `${c.name}-${tag}@evil.example`, created_at: '2026-01-01T00:00:00.000Z', created_by: null,
        created_by_email: 'cli', sample_id: null, reason: 'test', expires_at: c.expiresAt, lifted_at: c.liftedAt, lifted_by_email: c.liftedAt ? 'cli' : null,
      });
    }
    const expected = cases.filter((c) => ruleInForce(c, NOW)).map((c) => c.name).sort();
    assert.deepEqual(expected, ['expires-later', 'until-lifted']);
    const mine = (rows: readonly { id: string }[]): string[] => rows.filter((r) => ids.has(r.id)).map((r) => ids.get(r.id)!).sort();
    assert.deepEqual(mine(await activeBlockRules(db, NOW)), expected, 'the gateway loads');
    assert.deepEqual(mine(await listBlockRules(db, { activeAt: NOW, limit: 1000 })), expected, 'the page lists');
    assert.equal(mine(await listBlockRules(db, { limit: 1000 })).length, cases.length, 'all of them with --all');
    const live: string[] = [];
    for (const c of cases) if (await findLiveRule(db, 'sender-address', `${c.name}-${tag}@evil.example`, NOW)) live.push(c.name);
    assert.deepEqual(live.sort(), expected, 'a new rule is a duplicate of these only');
  });
});
