import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { packageRoot } from '../platform/paths.js';
import { TEST_SECRET_KEY } from '../platform/testing/app.js';
import { createTestDatabase } from '../platform/testing/databases.js';
import { outcome, seedOrg } from './phones.fixtures.js';

const cli = path.join(packageRoot, 'src', 'main', 'cli.ts');

function run(args: string[], env: Record<string, string>): { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], {
    cwd: packageRoot, encoding: 'utf8', timeout: 120_000, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

test('--help works on the accounts commands', () => {
  // Each spawn compiles the whole CLI: two are enough to show every command of this file is registered.
  const phones = run(['phones', '--help'], {});
  assert.equal(phones.status, 0, phones.stderr);
  assert.match(phones.stdout, /sweep \[options\][\s\S]*check/);
  const compromise = run(['compromise', '--help'], {});
  assert.match(compromise.stdout, /mark \[options\][\s\S]*cases[\s\S]*escalate/);
});

// SQLite only: the same kill-and-resume is proven on both databases in-process (phones.sweep.test.ts);
// this adds a real SIGKILL of a real process, and each spawn is slow.
describe('postwarden phones sweep (a real process, SIGKILLed)', () => {
  let env: Record<string, string>;
  const t = { handle: undefined as unknown as Awaited<ReturnType<typeof createTestDatabase>> };
  after(async () => t.handle?.drop());
  before(async () => {
    t.handle = await createTestDatabase('sqlite');
    env = {
      DATABASE_URL: t.handle.url, POSTWARDEN_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'pw-sweep-')), POSTWARDEN_SECRET_KEY: TEST_SECRET_KEY,
      POSTWARDEN_LOG_LEVEL: 'silent', POSTWARDEN_ALLOW_CROWN_DEPENDENCY_MOBILES: 'false',
    };
  });

  test('a dry run prints the CSV report; phones check refuses in plain words', async () => {
    const s = await seedOrg(t.handle.db, 'L');
    const r = run(['phones', 'sweep', '--dry-run', '--org', s.code], env);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^organisation_code,organisation_name,account,number_as_stored,why,action\r\n/);
    assert.match(r.stdout, /french@.*This is a French number\. Only UK mobile numbers can be registered\.,would-disable/);
    assert.match(r.stderr, /13 accounts with a number checked, 9 not allowed UK mobiles/);
    const no = run(['phones', 'check', '+33 6 12 34 56 78'], env);
    assert.equal(no.status, 1);
    assert.match(no.stderr, /This is a French number/);
  });

  test('apply killed with SIGKILL half-way, run again, ends like an uninterrupted run', async () => {
    const { db } = t.handle;
    const whole = await seedOrg(db, 'K');
    const killed = await seedOrg(db, 'X');
    const a = run(['phones', 'sweep', '--apply', '--org', whole.code, '--batch', '3'], env);
    assert.equal(a.status, 0, a.stderr);
    const k = run(['phones', 'sweep', '--apply', '--org', killed.code, '--batch', '3', '--crash-after-batch', '2'], env);
    assert.equal(k.signal, 'SIGKILL', k.stderr);
    const half = await db.selectFrom('phone_sweep_runs as r').innerJoin('organisations as o', 'o.id', 'r.organisation_id').selectAll('r').where('o.code', '=', killed.code).executeTakeFirstOrThrow();
    assert.deepEqual([half.status, Number(half.checked)], ['running', 6]);
    const again = run(['phones', 'sweep', '--apply', '--org', killed.code, '--batch', '4'], env);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /Resuming apply sweep/);
    const runs = await db.selectFrom('phone_sweep_runs').select(['id', 'organisation_id']).where('organisation_id', 'in', [whole.orgId, killed.orgId]).execute();
    assert.equal(runs.length, 2, 'the resumed run is the same run');
    const runOf = (org: string) => runs.find((r) => r.organisation_id === org)!.id;
    assert.deepEqual(await outcome(db, runOf(killed.orgId), killed.orgId, killed.ids), await outcome(db, runOf(whole.orgId), whole.orgId, whole.ids));
  });
});
