import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { packageRoot } from '../platform/paths.js';
import { TEST_SECRET_KEY } from '../platform/testing/app.js';
import { createTestDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation } from '../platform/testing/factories.js';
import { ANSWERS, giveQuestions } from './recovery.fixtures.js';
import { addVerifyFailure, lockVerifyIfDue } from './recovery.repo.js';

const cli = path.join(packageRoot, 'src', 'main', 'cli.ts');

function run(args: string[], env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], {
    cwd: packageRoot, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The operator's recovery commands (SQLite: the commands underneath are tested on both databases). */
describe('postwarden recovery (CLI)', () => {
  let handle: Awaited<ReturnType<typeof createTestDatabase>>;
  let env: Record<string, string>;
  let user: { id: string; email: string };
  let code: string;

  before(async () => {
    handle = await createTestDatabase('sqlite');
    const org = await makeOrganisation(handle.db);
    code = org.code;
    user = await makeAccount(handle.db, { organisationId: org.id });
    await giveQuestions(handle.db, user.id);
    await addVerifyFailure(handle.db, user.id, new Date().toISOString());
    await lockVerifyIfDue(handle.db, user.id, 1, new Date(Date.now() + 900_000).toISOString(), new Date().toISOString());
    env = { DATABASE_URL: handle.url, POSTWARDEN_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'pw-cli-rec-')), POSTWARDEN_SECRET_KEY: TEST_SECRET_KEY, POSTWARDEN_LOG_LEVEL: 'silent' };
  });
  after(async () => handle.drop());

  test('there is no reset command; status shows question texts, never answers; unlock lifts the lock; review prints CSV', async () => {
    const help = run(['recovery', '--help'], {});
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /status/);
    const commands = [...help.stdout.split('Commands:')[1]!.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]);
    assert.deepEqual(commands, ['status', 'unlock', 'review', 'help'], 'no command resets a password');

    const status = run(['recovery', 'status', '--email', user.email], env);
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, /What was the make of your first car\?/);
    assert.match(status.stdout, /LOCKED/);
    for (const a of ANSWERS) assert.ok(!status.stdout.toLowerCase().includes(a.answer.toLowerCase()));
    assert.equal(run(['recovery', 'unlock', '--email', user.email], env).status, 0);
    const row = await handle.db.selectFrom('recovery_throttle').selectAll().where('account_id', '=', user.id).executeTakeFirstOrThrow();
    assert.equal(row.locked_until, null);

    const review = run(['recovery', 'review', '--org', code, '--from', '2026-01-01', '--to', '2026-01-31'], env);
    assert.equal(review.status, 0, review.stderr);
    assert.match(review.stdout, /^when,account_email/);
  });
});
