import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../platform/paths.js';

function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(packageRoot, 'src', 'main', 'cli.ts'), ...args], {
      cwd: packageRoot, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('every quarantine command has --help; bad input is refused before touching anything', async () => {
  const runs = await Promise.all([[], ['list'], ['show'], ['release'], ['delete']].map((c) => cli(['quarantine', ...c, '--help'])));
  for (const r of runs) {
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Usage: postwarden quarantine/);
  }
  const bad = await cli(['quarantine', 'show', 'not-an-id']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /not a quarantine id/);
  const status = await cli(['quarantine', 'list', '--status', 'bogus']);
  assert.equal(status.status, 1);
  assert.match(status.stderr, /--status must be one of/);
});
