import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isHighRiskArea } from '../directory/directory.js';
import { areaProblems, auditIds, filterAreas, gapOf, parseAddressList, totalsOf, withHighRiskArea, type AreaCoverage } from './coverage.js';

const area = (businessArea: string, required: number, requiredEnrolled: number, highRisk = false): AreaCoverage =>
  ({ businessArea, total: required + 2, required, requiredEnrolled, enrolled: requiredEnrolled + 1, highRisk });

test('pasted addresses: lines, commas, semicolons, names in angle brackets, duplicates once, invalid reported by line', () => {
  const r = parseAddressList('a@x.example, B@X.example;\r\n\n  Carol <carol@x.example>\nnot an address\na@x.example;;\n');
  assert.deepEqual(r.addresses, [
    { line: 1, email: 'a@x.example' }, { line: 1, email: 'b@x.example' }, { line: 3, email: 'carol@x.example' },
  ]);
  assert.deepEqual(r.invalid, [{ line: 4, text: 'not an address' }]);
  assert.deepEqual(parseAddressList('   \n ,; '), { addresses: [], invalid: [] });
});

test('high-risk areas compare trimmed and without case, as the sign-in rule does', () => {
  assert.equal(isHighRiskArea(' finance ', ['Finance']), true);
  assert.equal(isHighRiskArea('', ['']), false);
  assert.equal(isHighRiskArea('Estates', ['Finance', 'HR']), false);
  assert.deepEqual(withHighRiskArea(['Finance'], '  Estates '), ['Finance', 'Estates']);
  assert.deepEqual(withHighRiskArea(['Finance'], 'FINANCE'), ['Finance']);
  assert.deepEqual(areaProblems('  '), ['Enter a business area.']);
  assert.equal(areaProblems('x'.repeat(101)).length, 1);
  assert.equal(areaProblems('Fin\u0007ance').length, 1);
  assert.deepEqual(areaProblems('Payroll'), []);
});

test('filters by area fragment and by gaps; totals add up', () => {
  const areas = [area('Finance', 3, 1, true), area('HR', 1, 1, true), area('Estates', 0, 0)];
  assert.deepEqual(filterAreas(areas, { search: 'FIN' }).map((a) => a.businessArea), ['Finance']);
  assert.deepEqual(filterAreas(areas, { gapsOnly: true }).map((a) => a.businessArea), ['Finance']);
  assert.equal(filterAreas(areas, {}).length, 3);
  assert.deepEqual(totalsOf(areas), { total: 10, required: 4, requiredEnrolled: 2, enrolled: 5 });
  assert.equal(gapOf(totalsOf(areas)), 2);
});

test('audit details keep the exact count but cap the ids', () => {
  const ids = Array.from({ length: 1500 }, (_, i) => `id-${i}`);
  const d = auditIds(ids);
  assert.equal(d.count, 1500);
  assert.equal(d.accountIds.length, 1000);
  assert.equal(d.accountIdsTruncated, true);
  assert.deepEqual(auditIds(['a']), { count: 1, accountIds: ['a'], accountIdsTruncated: false });
});
