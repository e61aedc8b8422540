import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import { sql } from 'kysely';
import { packageRoot } from '../platform/paths.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { testApp } from '../platform/testing/app.js';
import { verifyPassword } from '../signin/password.js';

const cli = path.join(packageRoot, 'src', 'main', 'cli.ts');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string>): Run {
  const r = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], {
    cwd: packageRoot, encoding: 'utf8', timeout: 60_000,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--help works on every command', () => {
  const commands = [[], ['init'], ['migrate'], ['serve'], ['quickstart'], ['admin', 'create'], ['import', 'organisations'], ['import', 'accounts'], ['token', 'create'], ['audit', 'verify']];
  for (const c of commands) {
    const r = run([...c, '--help'], {});
    assert.equal(r.status, 0, `${c.join(' ')} --help: ${r.stderr}`);
    assert.match(r.stdout, /Usage: postwarden/);
  }
});

test('invalid configuration lists every problem and exits 2', () => {
  // Capabilities' settings (recovery, gateway) are reported with the platform's.
  const r = run(['migrate'], { POSTWARDEN_HTTP_ADDR: 'nowhere', POSTWARDEN_PLATFORM_DOMAIN: '-bad-', POSTWARDEN_SECRET_KEY: 'short', POSTWARDEN_RECOVERY_MAX_FAILURES: '0', POSTWARDEN_GATEWAY_WORKERS: 'many' });
  assert.equal(r.status, 2);
  for (const name of ['POSTWARDEN_HTTP_ADDR', 'POSTWARDEN_PLATFORM_DOMAIN', 'POSTWARDEN_SECRET_KEY', 'POSTWARDEN_RECOVERY_MAX_FAILURES', 'POSTWARDEN_GATEWAY_WORKERS']) assert.match(r.stderr, new RegExp(name));
});

describeEachDatabase('postwarden CLI', (t) => {
  let env: Record<string, string>;
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'pw-cli-'));
    env = { DATABASE_URL: t.handle.url, POSTWARDEN_DATA_DIR: dataDir, POSTWARDEN_PLATFORM_DOMAIN: 'platform.example.org', POSTWARDEN_LOG_LEVEL: 'silent' };
  });

  test('init makes a private secret key and the platform organisation', () => {
    const r = run(['init'], env);
    assert.equal(r.status, 0, r.stderr);
    const mode = statSync(path.join(dataDir, 'secret.key')).mode & 0o777;
    assert.equal(mode, 0o600);
    assert.equal(run(['init'], env).status, 0, 'init is idempotent');
  });

  test('admin create prints a one-time password that must be changed', async () => {
    const r = run(['admin', 'create', '--email', 'Ops.Admin@Platform.example.org', '--role', 'platform-admin'], env);
    assert.equal(r.status, 0, r.stderr);
    const password = /One-time password[^:]*: (\S+)/.exec(r.stdout)?.[1];
    assert.ok(password);
    const row = await t.handle.db.selectFrom('accounts').selectAll().where('email', '=', 'ops.admin@platform.example.org').executeTakeFirstOrThrow();
    assert.equal(row.must_change_password, 1);
    assert.ok(await verifyPassword(row.password_hash!, password));
    assert.match(row.password_hash!, /^\$argon2id\$/);
    const bad = run(['admin', 'create', '--email', 'x@platform.example.org', '--role', 'emperor'], env);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /not a role/);
  });

  test('import organisations and accounts, with rejected rows named by line', async () => {
    const orgs = path.join(dataDir, 'orgs.csv');
    writeFileSync(orgs, 'code,name,domains,high_risk_areas,la_contact\nRX1,Example Trust,example-trust.example.org,Finance;HR;Payroll,la@example-trust.example.org\n');
    const o = run(['import', 'organisations', orgs], env);
    assert.equal(o.status, 0, o.stderr);
    assert.match(o.stdout, /1 created/);
    const accts = path.join(dataDir, 'accounts.csv');
    writeFileSync(accts, [
      'organisation_code,email,display_name,business_area,mobile,roles',
      'RX1,la@example-trust.example.org,Lee Admin,IT,,user;local-admin',
      'RX1,pay@example-trust.example.org,Pat Payroll,Payroll,+447911123456,user',
      'NOPE,ghost@example-trust.example.org,Ghost,IT,,user',
      '',
    ].join('\n'));
    const a = run(['import', 'accounts', accts], env);
    assert.equal(a.status, 1, 'rejected rows give exit status 1');
    assert.match(a.stdout, /2 created/);
    assert.match(a.stderr, /line 4: .*NOPE/);
    const n = await t.handle.db.selectFrom('accounts').select((eb) => eb.fn.countAll<number>().as('n')).where('email', 'like', '%@example-trust.example.org').executeTakeFirstOrThrow();
    assert.equal(Number(n.n), 2);
  });

  test('token create prints a token; an account that must use MFA and has none needs --allow-without-mfa for it to work', async () => {
    // la is a local admin (must use MFA) without a factor.
    const plain = run(['token', 'create', '--email', 'la@example-trust.example.org', '--name', 'report button'], env);
    assert.equal(plain.status, 0, plain.stderr);
    const refused = plain.stdout.trim();
    assert.match(refused, /^pwt_/);
    const r = run(['token', 'create', '--email', 'la@example-trust.example.org', '--name', 'nightly export', '--allow-without-mfa'], env);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /allowed without MFA/);
    const token = r.stdout.trim();
    assert.match(token, /^pwt_/);
    const { app } = await testApp(t.handle.db);
    try {
      const no = await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${refused}` } });
      assert.equal(no.statusCode, 403);
      assert.match((no.json() as { message: string }).message, /must use multi-factor authentication/);
      const me = await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
      assert.equal(me.statusCode, 200);
      assert.equal((me.json() as { email: string }).email, 'la@example-trust.example.org');
    } finally {
      await app.close();
    }
    const stored = await t.handle.db.selectFrom('api_tokens').select(['token_hash', 'name', 'allow_without_mfa']).orderBy('name').execute();
    assert.ok(!stored.some((s) => s.token_hash === token || s.token_hash === refused), 'tokens stored only as a hash');
    assert.deepEqual(stored.map((s) => [s.name, s.allow_without_mfa]), [['nightly export', 1], ['report button', 0]]);
    const events = await t.handle.db.selectFrom('audit_events').select('details').where('action', '=', 'token.create').orderBy('seq').execute();
    assert.deepEqual(events.map((e) => (JSON.parse(e.details) as { name: string; allowWithoutMfa: boolean })).map((d) => [d.name, d.allowWithoutMfa]), [['report button', false], ['nightly export', true]]);
  });

  test('audit verify passes, then names the first event edited in the database', async () => {
    const ok = run(['audit', 'verify'], env);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /intact/);
    const victim = await t.handle.db.selectFrom('audit_events').select('seq').orderBy('seq').offset(1).limit(1).executeTakeFirstOrThrow();
    await sql`update audit_events set actor_email = 'someone-else@example.org' where seq = ${victim.seq}`.execute(t.handle.db);
    const broken = run(['audit', 'verify'], env);
    assert.equal(broken.status, 3);
    assert.match(broken.stderr, new RegExp(`BROKEN at event ${victim.seq}:.*edited`));
  });

  test('serve refuses to start without a secret key, saying how to fix it', () => {
    const r = run(['serve'], { ...env, POSTWARDEN_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'pw-nokey-')), POSTWARDEN_HTTP_ADDR: `127.0.0.1:${20000 + (randomBytes(2).readUInt16BE() % 20000)}` });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /postwarden init/);
  });
});
