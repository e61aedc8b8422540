import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createDnsResolver, overlayZone, readZoneFile, txtChunks } from './dns.js';

test("mode 'none' answers only the local zone; other names do not exist (no network)", async () => {
  const r = createDnsResolver({ mode: 'none', zone: { 'x.example': { TXT: [['v=spf1 -all']] } }, cacheSeconds: 60 });
  assert.deepEqual(await r('X.Example.', 'TXT'), [['v=spf1 -all']]);
  await assert.rejects(r('x.example', 'MX'), (e: { code?: string }) => e.code === 'ENODATA');
  await assert.rejects(r('elsewhere.example', 'TXT'), (e: { code?: string }) => e.code === 'ENOTFOUND');
});

test('overlayZone answers local names and passes the rest on', async () => {
  const asked: string[] = [];
  const r = overlayZone({ 'pw1._domainkey.platform.example': { TXT: [txtChunks('p='.padEnd(300, 'A'))] } }, async (name) => { asked.push(name); return [['from the network']]; });
  const local = (await r('pw1._domainkey.platform.example', 'TXT')) as string[][];
  assert.equal(local[0]!.length, 2, 'long TXT values are split in 255-character strings');
  assert.equal(local[0]!.join('').length, 300);
  assert.deepEqual(await r('other.example', 'TXT'), [['from the network']]);
  assert.deepEqual(asked, ['other.example']);
});

test('zone files: strings or chunk lists for TXT; malformed files are refused with their name', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pw-zone-'));
  const good = path.join(dir, 'zone.json');
  writeFileSync(good, JSON.stringify({ 'A.example.': { txt: ['one', ['two', 'parts']], MX: [{ exchange: 'mx.a.example', priority: 10 }] } }));
  assert.deepEqual(readZoneFile(good), { 'a.example': { TXT: [['one'], ['two', 'parts']], MX: [{ exchange: 'mx.a.example', priority: 10 }] } });
  const bad = path.join(dir, 'bad.json');
  writeFileSync(bad, '{"a.example": {"TXT": "not a list"}}');
  assert.throws(() => readZoneFile(bad), /bad\.json.*must be a list/);
});
