import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Stage, StageFailed, applyStage, runStage } from './stages.js';

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

test('a synchronous stage cannot be interrupted: one that ran past its limit fails when it returns', async () => {
  const busy = (ms: number) => () => {
    const until = performance.now() + ms;
    while (performance.now() < until) { /* busy */ }
    return 'done';
  };
  assert.equal(await runStage(spec('tempfail', 200), busy(1)), 'done');
  await assert.rejects(runStage(spec('tempfail', 20), busy(40)), (e: unknown) => e instanceof StageFailed && e.kind === 'timeout');
  assert.equal(await runStage(spec('tempfail', 0), busy(40)), 'done', '0: no limit');
});

test('a stage that timed out sees signal.expired, so its late work can tell it no longer counts', async () => {
  let seen: boolean | null = null;
  await assert.rejects(runStage(spec('tempfail', 20), async (signal) => {
    await new Promise((r) => setTimeout(r, 60));
    seen = signal.expired;
  }), StageFailed);
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(seen, true);
});

test('applyStage: skipped when it does not apply; tempfail goes to the policy; skip carries on', async () => {
  const calls: string[] = [];
  const policy = {
    applies: (s: { name: string }) => s.name !== 'idle',
    failed: (s: { name: string }, err: StageFailed) => void calls.push(`failed:${s.name}:${err.kind}`),
    hooks: { onFailure: (s: { name: string }, kind: string) => void calls.push(`told:${s.name}:${kind}`) },
  };
  const stage = (name: string, onFailure: 'tempfail' | 'skip', run: (c: string[]) => void | Promise<void>): Stage<string[]> => ({ name, timeoutMs: 50, onFailure, run });
  const ctx: string[] = [];
  await applyStage(stage('idle', 'tempfail', (c) => void c.push('idle ran')), ctx, policy);
  await applyStage(stage('works', 'tempfail', (c) => void c.push('works ran')), ctx, policy);
  await applyStage(stage('crash', 'tempfail', () => { throw new Error('boom'); }), ctx, policy);
  await applyStage(stage('hang', 'tempfail', () => new Promise(() => undefined)), ctx, policy);
  await applyStage(stage('optional', 'skip', async () => { throw new Error('boom'); }), ctx, policy);
  assert.deepEqual(ctx, ['works ran']);
  assert.deepEqual(calls, ['told:crash:error', 'failed:crash:error', 'told:hang:timeout', 'failed:hang:timeout', 'told:optional:error']);
});
