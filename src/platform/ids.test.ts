import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newId } from './ids.js';

test('ids are RFC 9562 version 7: time first, then random bits', () => {
  const at = Date.UTC(2026, 10, 30, 12, 0, 0, 123);
  const id = newId(at);
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(parseInt(id.slice(0, 8) + id.slice(9, 13), 16), at, 'the first 48 bits are the milliseconds');
  // Later ids sort after earlier ones (primary keys append).
  assert.ok(newId(at + 1) > newId(at));
  assert.ok(newId(Date.UTC(2027, 0, 1)) > id);
  // 74 random bits: no two alike, and every random hex digit varies.
  const many = Array.from({ length: 2000 }, () => newId(at));
  assert.equal(new Set(many).size, many.length);
  for (const pos of [15, 16, 17, 20, 21, 22, 24, 35]) assert.ok(new Set(many.map((x) => x[pos])).size > 8, `digit ${pos} varies`);
});
