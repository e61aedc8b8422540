import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { sql } from 'kysely';
import { verifyAuditTrail } from '../../audit/audit.commands.js';
import { cliContext } from '../../platform/context.js';
import type { Db } from '../../platform/db/db.js';
import { Forbidden, Invalid } from '../../platform/errors/errors.js';
import { describeEachDatabase } from '../../platform/testing/databases.js';
import { makeAccount, makeOrganisation, testCtx } from '../../platform/testing/factories.js';
import { importAccountsFile, importAccountsStream, importOrganisationsStream } from './import.commands.js';

const ORG_HEADER = 'code,name,domains,high_risk_areas,la_contact';
const ACC_HEADER = 'organisation_code,email,display_name,business_area,mobile,roles';
const ctx = cliContext(new Date('2026-02-01T09:00:00Z'));
const csv = (...lines: string[]): Readable => Readable.from([lines.join('\r\n') + '\r\n']);
let n = 0;
/** A prefix unique to one test, so tests sharing a database do not collide. */
const fresh = (): string => `t${Date.now().toString(36)}${(n++).toString(36)}`;

async function importOrgs(db: Db, ...lines: string[]) {
  return importOrganisationsStream(db, ctx, csv(ORG_HEADER, ...lines), { fileName: 'orgs.csv' });
}
async function importAccounts(db: Db, lines: string[], batchSize?: number) {
  return importAccountsStream(db, ctx, csv(ACC_HEADER, ...lines), { fileName: 'accounts.csv', batchSize });
}
async function accountsLike(db: Db, p: string) {
  return db.selectFrom('accounts').selectAll().where('email', 'like', `${p}%`).orderBy('email').execute();
}
async function rolesLike(db: Db, p: string) {
  return db.selectFrom('account_roles').innerJoin('accounts', 'accounts.id', 'account_roles.account_id')
    .select(['email', 'role', 'scope']).where('email', 'like', `${p}%`).orderBy('email').orderBy('role').execute();
}
async function auditCount(db: Db): Promise<number> {
  return Number((await db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
}

describeEachDatabase('directory import', (t) => {
  test('imports organisations and accounts; a second import of the same files changes nothing', async () => {
    const { db } = t.handle;
    const p = fresh();
    const code = p.toUpperCase().slice(-10);
    const orgLines = [`${code}A,Alpha Trust,${p}a.nhs.uk;${p}-alpha.nhs.uk,,la@${p}a.nhs.uk 0113 496 0000`, `${code}B,"Beta, Trust",${p}b.nhs.uk,Payroll;HR,la@${p}b.nhs.uk`];
    const orgs = await importOrgs(db, ...orgLines);
    assert.deepEqual([orgs.created, orgs.updated, orgs.unchanged, orgs.rejected], [2, 0, 0, []]);
    const lines = [
      `${code}A,${p}.one@${p}a.nhs.uk,One,Finance, 07400 900001 ,`,
      `${code.toLowerCase()}a,${p}.TWO@${p}a.nhs.uk,Two,,,local-admin;user`,
      `${code}B,${p}.three@${p}b.nhs.uk,Three,HR,,helpdesk`,
    ];
    const first = await importAccounts(db, lines, 2);
    assert.deepEqual([first.created, first.updated, first.unchanged, first.rejected], [3, 0, 0, []]);
    assert.ok(first.rowsPerSecond > 0);

    const accounts = await accountsLike(db, p);
    assert.deepEqual(accounts.map((a) => [a.email, a.display_name, a.business_area, a.mobile, a.status, a.password_hash, Number(a.must_change_password)]), [
      [`${p}.one@${p}a.nhs.uk`, 'One', 'Finance', '+447400900001', 'active', null, 0],
      [`${p}.three@${p}b.nhs.uk`, 'Three', 'HR', null, 'active', null, 0],
      [`${p}.two@${p}a.nhs.uk`, 'Two', '', null, 'active', null, 0],
    ]);
    const alphaId = (await db.selectFrom('organisations').select('id').where('code', '=', `${code}A`).executeTakeFirstOrThrow()).id;
    assert.deepEqual((await rolesLike(db, p)).map((r) => [r.email.split('@')[0], r.role, r.scope]), [
      [`${p}.one`, 'user', '*'], [`${p}.three`, 'helpdesk', '*'], [`${p}.two`, 'local-admin', alphaId], [`${p}.two`, 'user', '*'],
    ]);
    const batches = await db.selectFrom('audit_events').select('details').where('action', '=', 'directory.import.accounts').orderBy('seq', 'desc').limit(2).execute();
    assert.deepEqual(batches.reverse().map((b) => JSON.parse(b.details) as unknown), [
      { file: 'accounts.csv', firstLine: 2, lastLine: 3, created: 2, updated: 0, unchanged: 0 },
      { file: 'accounts.csv', firstLine: 4, lastLine: 4, created: 1, updated: 0, unchanged: 0 },
    ]);

    const snapshot = { accounts: await accountsLike(db, p), roles: await rolesLike(db, p), orgs: await db.selectFrom('organisations').selectAll().where('code', 'like', `${code}%`).orderBy('code').execute() };
    const again = await importOrgs(db, ...orgLines);
    assert.deepEqual([again.created, again.updated, again.unchanged], [0, 0, 2]);
    const second = await importAccounts(db, lines, 2);
    assert.deepEqual([second.created, second.updated, second.unchanged, second.rejectedCount], [0, 0, 3, 0]);
    assert.deepEqual({ accounts: await accountsLike(db, p), roles: await rolesLike(db, p), orgs: await db.selectFrom('organisations').selectAll().where('code', 'like', `${code}%`).orderBy('code').execute() }, snapshot);
    assert.equal((await verifyAuditTrail(db)).ok, true);
  });

  test('every rejected row is reported by its line with a plain reason, and wrote nothing', async () => {
    const { db } = t.handle;
    const p = fresh();
    const org = await makeOrganisation(db);
    const owner = await makeOrganisation(db);
    const orgs = await importOrgs(db, `${p.toUpperCase().slice(-10)}X,Taken Trust,${owner.domain},,la`, `bad-code,Name,${p}.nhs.uk,,la`);
    assert.deepEqual(orgs.rejected, [
      { line: 2, reason: `domain "${owner.domain}" belongs to another organisation` },
      { line: 3, reason: 'code "bad-code" must be 1 to 12 letters or digits' },
    ]);
    assert.equal(orgs.created, 0);

    const before = await auditCount(db);
    const r = await importAccounts(db, [
      `XYZ,${p}.a@example.test,A,,,`,
      `${org.code},not-an-address,B,,,`,
      `${org.code},${p}.c@example.test,,,,`,
      `${org.code},${p}.d@example.test,D,,ring me,`,
      `${org.code},${p}.e@example.test,E,,,superuser`,
      `${org.code},${p}.f@example.test,F`,
      '',
      `${org.code},${p}.g@example.test,"G spans`,
      `two lines",,,`,
      `${org.code},${p}.i@example.test,I,,,admin`,
      `${org.code},${p}.h@example.test,H,,,`,
    ]);
    assert.deepEqual(r.rejected, [
      { line: 2, reason: 'organisation "XYZ" does not exist' },
      { line: 3, reason: 'email "not-an-address" is not a valid email address' },
      { line: 4, reason: 'display_name is required' },
      { line: 5, reason: 'mobile "ring me": This is not a phone number. Enter a UK mobile number, for example 07400 123456.' },
      { line: 6, reason: 'role "superuser" is not one of user, local-admin, helpdesk, csoc, platform-admin' },
      { line: 7, reason: 'has 3 fields; the header has 6' },
      { line: 9, reason: 'display_name contains control characters' },
      { line: 11, reason: 'role "admin" is not one of user, local-admin, helpdesk, csoc, platform-admin' },
    ]);
    assert.deepEqual([r.created, r.rejectedCount], [1, 8]);
    assert.deepEqual((await accountsLike(db, p)).map((a) => a.email), [`${p}.h@example.test`]);
    assert.equal(await auditCount(db), before + 1, 'one batch event, nothing for the rejected rows');
  });

  test('mobile numbers pass the one UK-mobile rule: stored in E.164, others rejected by line with the reason', async () => {
    const { db } = t.handle;
    const p = fresh();
    const org = await makeOrganisation(db);
    const rows = [
      `${org.code},${p}.gb@example.test,GB,,07400 123456,`,
      `${org.code},${p}.fr@example.test,FR,,+33 6 12 34 56 78,`,
      `${org.code},${p}.gg@example.test,GG,,07781 123456,`,
      `${org.code},${p}.land@example.test,Land,,0113 496 0000,`,
    ];
    const r = await importAccountsStream(db, ctx, csv(ACC_HEADER, ...rows), { fileName: 'accounts.csv', mobileRule: { allowCrownDependencies: false } });
    assert.deepEqual(r.rejected, [
      { line: 3, reason: 'mobile "+33 6 12 34 56 78": This is a French number. Only UK mobile numbers can be registered.' },
      { line: 4, reason: 'mobile "07781 123456": This is a Guernsey mobile number. Only mobile numbers from England, Scotland, Wales and Northern Ireland can be registered.' },
      { line: 5, reason: 'mobile "0113 496 0000": This is a UK landline number. Only UK mobile numbers can be registered.' },
    ]);
    assert.deepEqual((await accountsLike(db, p)).map((a) => [a.email.split('@')[0], a.mobile]), [[`${p}.gb`, '+447400123456']]);
  });

  test('a header with a misspelt column refuses the whole file before writing anything', async () => {
    const { db } = t.handle;
    const org = await makeOrganisation(db);
    const before = await auditCount(db);
    await assert.rejects(
      importAccountsStream(db, ctx, csv('organisation_code,email,display_name,busines_area,mobile,roles', `${org.code},x@example.test,X,,,`), { fileName: 'a.csv' }),
      (err: Error) => err instanceof Invalid && /organisation_code,email,display_name,business_area,mobile,roles/.test(err.message) && /unexpected "busines_area"/.test(err.message),
    );
    await assert.rejects(importOrganisationsStream(db, ctx, csv(''), { fileName: 'o.csv' }), Invalid);
    assert.equal(await auditCount(db), before);
    assert.equal((await db.selectFrom('accounts').select('id').where('email', '=', 'x@example.test').execute()).length, 0);
  });

  test('an address repeated in the file is written once; the later row wins', async () => {
    const { db } = t.handle;
    const p = fresh();
    const org = await makeOrganisation(db);
    const r = await importAccounts(db, [`${org.code},${p}@example.test,First,,,`, `${org.code},${p}.other@example.test,Other,,,`, `${org.code},${p.toUpperCase()}@example.test,Second,,,helpdesk`]);
    assert.deepEqual([r.created, r.updated, r.rejectedCount], [2, 1, 0]);
    const [row] = await db.selectFrom('accounts').select('display_name').where('email', '=', `${p}@example.test`).execute();
    assert.equal(row?.display_name, 'Second');
  });

  test('a re-import updates directory fields and roles, audits privileged changes, and never touches password or status', async () => {
    const { db } = t.handle;
    const org = await makeOrganisation(db);
    const other = await makeOrganisation(db);
    const acc = await makeAccount(db, { organisationId: org.id, roles: ['user'] });
    await db.updateTable('accounts').set({ status: 'disabled', status_reason: 'leaver' }).where('id', '=', acc.id).execute();
    const before = await db.selectFrom('accounts').selectAll().where('id', '=', acc.id).executeTakeFirstOrThrow();

    const r = await importAccounts(db, [`${other.code},${acc.email},Renamed,Estates,07400 900002,user;local-admin`]);
    assert.deepEqual([r.created, r.updated], [0, 1]);
    const after = await db.selectFrom('accounts').selectAll().where('id', '=', acc.id).executeTakeFirstOrThrow();
    assert.deepEqual([after.display_name, after.business_area, after.mobile, after.organisation_id], ['Renamed', 'Estates', '+447400900002', other.id]);
    assert.deepEqual([after.password_hash, after.status, after.status_reason, after.created_at], [before.password_hash, 'disabled', 'leaver', before.created_at]);
    const events = await db.selectFrom('audit_events').selectAll().where('action', '=', 'account.role.change').where('target', '=', `account:${acc.id}`).execute();
    assert.equal(events.length, 1);
    assert.equal(events[0]!.organisation_id, other.id);
    assert.deepEqual(JSON.parse(events[0]!.details), { before: [], after: ['local-admin'], via: 'import', file: 'accounts.csv', line: 2 });
    assert.deepEqual((await rolesLike(db, acc.email)).map((g) => [g.role, g.scope]), [['local-admin', other.id], ['user', '*']]);

    // Unprivileged changes write no role event.
    await importAccounts(db, [`${other.code},${acc.email},Renamed again,Estates,,user;local-admin`]);
    assert.equal((await db.selectFrom('audit_events').select('seq').where('action', '=', 'account.role.change').where('target', '=', `account:${acc.id}`).execute()).length, 1);
  });

  test('a row the database refuses is rejected alone; the rest of its batch lands; a wholly refused batch stops the import', async () => {
    const { db } = t.handle;
    const p = fresh();
    const org = await makeOrganisation(db);
    const refused = `${p}.refused@example.test`;
    if (t.dialect === 'sqlite') {
      await sql.raw(`create trigger refuse_${p} before insert on accounts when new.email like '${p}.refused%' begin select raise(abort, 'refused by test trigger'); end`).execute(db);
    } else {
      await sql.raw(`create function refuse_${p}() returns trigger language plpgsql as $$ begin if new.email like '${p}.refused%' then raise exception 'refused by test trigger'; end if; return new; end $$`).execute(db);
      await sql.raw(`create trigger refuse_${p} before insert on accounts for each row execute function refuse_${p}()`).execute(db);
    }
    const before = await auditCount(db);
    const r = await importAccounts(db, [`${org.code},${p}.a@example.test,A,,,`, `${org.code},${refused},R,,,local-admin`, `${org.code},${p}.c@example.test,C,,,`]);
    assert.equal(r.created, 2);
    assert.equal(r.rejected.length, 1);
    assert.equal(r.rejected[0]!.line, 3);
    assert.match(r.rejected[0]!.reason, /^the database refused the row: .*refused by test trigger/);
    assert.deepEqual((await accountsLike(db, p)).map((a) => a.email), [`${p}.a@example.test`, `${p}.c@example.test`]);
    // Retried row by row: one batch event per landed row, and no role event for the refused one.
    assert.equal(await auditCount(db), before + 2);
    // A batch refused in full points at the database, not the data: the import stops and says so.
    await assert.rejects(importAccounts(db, [`${org.code},${p}.refused2@example.test,R,,,`, `${org.code},${p}.refused3@example.test,R,,,`]), /import stopped at line 2/);
    await sql.raw(`drop trigger refuse_${p}${t.dialect === 'postgres' ? ' on accounts' : ''}`).execute(db);
    assert.equal((await verifyAuditTrail(db)).ok, true);
  });

  test('a file import reports progress up to its size; only platform admins may import', async () => {
    const { db } = t.handle;
    const p = fresh();
    const org = await makeOrganisation(db);
    const dir = mkdtempSync(path.join(tmpdir(), 'pw-import-'));
    try {
      const file = path.join(dir, 'accounts.csv');
      const text = `\ufeff${ACC_HEADER}\n${org.code},${p}@example.test,P,,,\n`;
      writeFileSync(file, text);
      const seen: [number, number][] = [];
      const r = await importAccountsFile(db, ctx, file, { onProgress: (read, total) => seen.push([read, total]) });
      assert.equal(r.created, 1);
      assert.deepEqual(seen.at(-1), [Buffer.byteLength(text), Buffer.byteLength(text)]);
      const helpdesk = testCtx({ accountId: 'x', email: 'h@example.test', organisationId: org.id, roles: [{ role: 'helpdesk', scope: '*' }] });
      await assert.rejects(importAccountsFile(db, helpdesk, file), Forbidden);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
