import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ACCOUNT_HEADER, ImportTally, MAX_KEPT_REJECTIONS, ORGANISATION_HEADER, mapHeader, parseAccountRecord, parseOrganisationRecord,
  LineTracker, privilegedRoleChange, sameGrants,
} from './import.js';

const ACC = [0, 1, 2, 3, 4, 5];
const ORG = [0, 1, 2, 3, 4];
const account = (o: Partial<Record<(typeof ACCOUNT_HEADER)[number], string>> = {}): string[] => {
  const v = { organisation_code: 'rxa', email: ' Jo.Bloggs@Trust.NHS.uk ', display_name: ' Jo Bloggs ', business_area: 'Finance', mobile: ' 07400 123456 ', roles: '', ...o };
  return ACCOUNT_HEADER.map((c) => v[c]);
};
const organisation = (o: Partial<Record<(typeof ORGANISATION_HEADER)[number], string>> = {}): string[] => {
  const v = { code: 'rxa01', name: 'Test Trust', domains: 'Trust.nhs.uk; other.nhs.uk;trust.nhs.uk', high_risk_areas: '', la_contact: 'la@trust.nhs.uk 0113 496 0000', ...o };
  return ORGANISATION_HEADER.map((c) => v[c]);
};
const reasonOf = (r: { ok: boolean; reason?: string }): string => (r.ok ? 'ok' : r.reason!);

describe('import header', () => {
  test('columns match by name in any order, trimmed and case-insensitive', () => {
    const r = mapHeader(ACCOUNT_HEADER, ['Email', ' roles', 'organisation_code', 'display_name', 'MOBILE', 'business_area']);
    assert.deepEqual(r, { ok: true, row: [2, 0, 3, 5, 4, 1] });
  });

  test('missing, misspelt, extra and repeated columns refuse the file and name the expected header', () => {
    const missing = mapHeader(ORGANISATION_HEADER, ['code', 'name', 'domains', 'la_contact']);
    assert.equal(missing.ok, false);
    assert.match(reasonOf(missing), /code,name,domains,high_risk_areas,la_contact/);
    assert.match(reasonOf(missing), /missing high_risk_areas/);
    const misspelt = mapHeader(ORGANISATION_HEADER, ['code', 'name', 'domain', 'high_risk_areas', 'la_contact']);
    assert.match(reasonOf(misspelt), /missing domains; unexpected "domain"/);
    assert.match(reasonOf(mapHeader(ORGANISATION_HEADER, [...ORGANISATION_HEADER, 'notes'])), /unexpected "notes"/);
    assert.match(reasonOf(mapHeader(ORGANISATION_HEADER, [...ORGANISATION_HEADER, 'code'])), /repeated code/);
  });
});

describe('organisation records', () => {
  test('a valid row is normalised; empty high-risk areas default to Finance and HR', () => {
    assert.deepEqual(parseOrganisationRecord(organisation(), ORG), {
      ok: true,
      row: { code: 'RXA01', name: 'Test Trust', domains: ['trust.nhs.uk', 'other.nhs.uk'], highRiskAreas: ['Finance', 'HR'], laContact: 'la@trust.nhs.uk 0113 496 0000' },
    });
    const r = parseOrganisationRecord(organisation({ high_risk_areas: 'Payroll; Estates;' }), ORG);
    assert.deepEqual(r.ok && r.row.highRiskAreas, ['Payroll', 'Estates']);
  });

  test('each rule gives a plain reason', () => {
    assert.equal(reasonOf(parseOrganisationRecord(organisation({ code: '' }), ORG)), 'code is required');
    assert.match(reasonOf(parseOrganisationRecord(organisation({ code: 'RX-1' }), ORG)), /code "RX-1" must be 1 to 12 letters or digits/);
    assert.match(reasonOf(parseOrganisationRecord(organisation({ code: 'ABCDEFGHIJKLM' }), ORG)), /must be 1 to 12/);
    assert.equal(reasonOf(parseOrganisationRecord(organisation({ name: ' ' }), ORG)), 'name is required');
    assert.equal(reasonOf(parseOrganisationRecord(organisation({ la_contact: '' }), ORG)), 'la_contact is required');
    assert.match(reasonOf(parseOrganisationRecord(organisation({ domains: 'ok.nhs.uk;not a domain' }), ORG)), /domain "not a domain" is not a valid domain name/);
    assert.match(reasonOf(parseOrganisationRecord(['A', 'B'], ORG)), /has 2 fields; the header has 5/);
  });
});

describe('account records', () => {
  test('a valid row is normalised; empty roles mean user', () => {
    assert.deepEqual(parseAccountRecord(account(), ACC), {
      ok: true,
      row: { organisationCode: 'RXA', email: 'jo.bloggs@trust.nhs.uk', displayName: 'Jo Bloggs', businessArea: 'Finance', mobile: '+447400123456', roles: ['user'] },
    });
    const r = parseAccountRecord(account({ roles: 'Local-Admin; user;local-admin', mobile: '', business_area: '' }), ACC);
    assert.ok(r.ok);
    assert.deepEqual([r.row.roles, r.row.mobile, r.row.businessArea], [['local-admin', 'user'], null, '']);
  });

  test('each rule gives a plain reason', () => {
    assert.equal(reasonOf(parseAccountRecord(account({ organisation_code: '' }), ACC)), 'organisation_code is required');
    assert.equal(reasonOf(parseAccountRecord(account({ email: '' }), ACC)), 'email is required');
    assert.match(reasonOf(parseAccountRecord(account({ email: 'jo@' }), ACC)), /email "jo@" is not a valid email address/);
    assert.equal(reasonOf(parseAccountRecord(account({ display_name: '' }), ACC)), 'display_name is required');
    assert.match(reasonOf(parseAccountRecord(account({ display_name: 'x'.repeat(201) }), ACC)), /longer than 200/);
    assert.match(reasonOf(parseAccountRecord(account({ display_name: 'Jo\u0000' }), ACC)), /control characters/);
    assert.equal(reasonOf(parseAccountRecord(account({ mobile: 'call me' }), ACC)), 'mobile "call me": This is not a phone number. Enter a UK mobile number, for example 07400 123456.');
    assert.match(reasonOf(parseAccountRecord(account({ mobile: '0'.repeat(21) }), ACC)), /not a valid phone number|not a phone number/);
    assert.equal(reasonOf(parseAccountRecord(account({ mobile: '+33 6 12 34 56 78' }), ACC)), 'mobile "+33 6 12 34 56 78": This is a French number. Only UK mobile numbers can be registered.');
    assert.match(reasonOf(parseAccountRecord(account({ mobile: '0113 496 0000' }), ACC)), /: This is a UK landline number\. Only UK mobile numbers can be registered\.$/);
    assert.match(reasonOf(parseAccountRecord(account({ mobile: '07700 900123' }), ACC)), /not a valid UK number/, 'the drama range is not a real number');
    assert.equal(reasonOf(parseAccountRecord(account({ mobile: '+44 (0)7400-123456' }), ACC)), 'ok');
    const guernsey = account({ mobile: '07781 123456' });
    assert.equal(reasonOf(parseAccountRecord(guernsey, ACC)), 'ok', 'Crown dependencies are allowed by default');
    assert.match(reasonOf(parseAccountRecord(guernsey, ACC, { allowCrownDependencies: false })), /This is a Guernsey mobile number/);
    assert.match(reasonOf(parseAccountRecord(account({ roles: 'user;admin' }), ACC)), /role "admin" is not one of user, local-admin/);
    assert.match(reasonOf(parseAccountRecord([...account(), 'extra'], ACC)), /has 7 fields; the header has 6/);
  });
});

describe('role comparison', () => {
  const la = { role: 'local-admin' as const, scope: 'org-1' };
  const user = { role: 'user' as const, scope: '*' };
  test('grants compare as sets', () => {
    assert.equal(sameGrants([user, la], [la, user]), true);
    assert.equal(sameGrants([user], [user, la]), false);
  });

  test('only privileged changes are reported; a local-admin changing organisation is one', () => {
    assert.equal(privilegedRoleChange([user], [user]), null);
    assert.equal(privilegedRoleChange([user, la], [la]), null);
    assert.deepEqual(privilegedRoleChange([user], [user, la]), { before: [], after: ['local-admin'] });
    assert.deepEqual(privilegedRoleChange([la], [{ role: 'local-admin', scope: 'org-2' }]), { before: ['local-admin'], after: ['local-admin'] });
  });
});

describe('tally and lines', () => {
  test('rejections are counted in full but kept only up to the cap, in line order', () => {
    const t = new ImportTally();
    for (let i = MAX_KEPT_REJECTIONS + 5; i > 0; i--) t.reject(i, 'bad');
    t.rows = 2000;
    const r = t.result(1000);
    assert.equal(r.rejectedCount, MAX_KEPT_REJECTIONS + 5);
    assert.equal(r.rejected.length, MAX_KEPT_REJECTIONS);
    assert.ok(r.rejected[0]!.line < r.rejected[1]!.line);
    assert.equal(r.rowsPerSecond, 2000);
  });

  test('a record spanning lines is reported by its first line, and CRLFs inside fields do not shift later lines', () => {
    const lines = new LineTracker();
    assert.equal(lines.startOf(['a', 'b'], 2), 2);
    assert.equal(lines.startOf(['a', 'two\nlines\nhere', 'b'], 5), 3);
    // csv-parse counts this CRLF twice: it reports line 7 for a record on lines 6–7 …
    assert.equal(lines.startOf(['x\r\ny', 'b'], 8), 6);
    // … and every line after it one too high.
    assert.equal(lines.startOf(['c', 'd'], 9), 8);
    assert.equal(lines.correct(10), 9);
  });
});
