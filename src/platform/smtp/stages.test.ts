import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StageFailed, runStage } from './stages.js';

const spec = (onFailure: 'tempfail' | 'skip' = 'tempfail', timeoutMs = 50) => ({ name: 'demo', timeoutMs, onFailure });

test('a stage returns its value, sync or async', async () => {
  assert.equal(await runStage(spec('tempfail', 0), () => 1), 1);
  assert.equal(await runStage(spec(), async () => 2), 2);
});

test('a crash becomes StageFailed (tempfail) or the fallback (skip), and is reported', async () => {
  const seen: string[] = [];
  const hooks = { onFailure: (_s: unknown, kind: string) => void seen.push(kind) };
  await assert.rejects(runStage(spec(), () => { throw new Error('boom'); }, hooks), (e: unknown) => e instanceof StageFailed && e.kind === 'error' && e.stage === 'demo' && e.code === 451);
  await assert.rejects(runStage(spec(), async () => { throw new Error('boom'); }, hooks), StageFailed);
  assert.equal(await runStage(spec('skip'), () => { throw new Error('boom'); }, hooks, 'fallback'), 'fallback');
  assert.deepEqual(seen, ['error', 'error', 'error']);
});

test('a stage that never finishes times out; a late result still reaches onLate', async () => {
  let release!: (v: string) => void;
  const slow = new Promise<string>((r) => { release = r; });
  const late: string[] = [];
  await assert.rejects(runStage(spec('tempfail', 20), () => slow, { onLate: (v) => void late.push(v) }), (e: unknown) => e instanceof StageFailed && e.kind === 'timeout');
  release('done');
  await slow;
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(late, ['done']);
});
