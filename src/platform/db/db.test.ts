import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { migrateToLatest, openDatabase } from './db.js';
import { migrations } from '../../main/migrations.js';

const modeOf = (file: string): string => (statSync(file).mode & 0o777).toString(8);

test('a new SQLite database and its -wal and -shm files are readable by their owner only (0600)', async () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'pw-dbmode-')), 'nested', 'postwarden.sqlite');
  const h = await openDatabase(`sqlite:${file}`);
  try {
    await migrateToLatest(h.db, migrations);
    await h.db.insertInto('job_leases').values({ name: 'mode-test', locked_by: null, locked_until: null, last_run_at: null }).execute();
    assert.deepEqual([file, `${file}-wal`, `${file}-shm`].map(modeOf), ['600', '600', '600']);
  } finally {
    await h.close();
  }
});

test('an existing SQLite file made 0644 (and its -wal) is tightened to 0600 when opened', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pw-dbmode-'));
  const file = path.join(dir, 'old.sqlite');
  const first = await openDatabase(`sqlite:${file}`);
  await migrateToLatest(first.db, migrations);
  await first.close();
  chmodSync(file, 0o644);
  writeFileSync(`${file}-wal`, '');
  chmodSync(`${file}-wal`, 0o644);
  const h = await openDatabase(`sqlite:${file}`);
  try {
    assert.equal(modeOf(file), '600');
    assert.equal(modeOf(`${file}-wal`), '600');
    assert.equal(modeOf(`${file}-shm`), '600');
  } finally {
    await h.close();
  }
});
