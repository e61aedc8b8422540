import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import type { Config } from '../platform/config/config.js';
import type { Db } from '../platform/db/db.js';
import { platformDkimKey } from '../platform/notify/mailer.js';
import { dkimResolver, maildir } from '../platform/notify/notify.testing.js';
import { deliverDueNotifications } from '../platform/notify/runner.js';
import { ManualClock, testConfig } from '../platform/testing/app.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation } from '../platform/testing/factories.js';
import { requirePeer } from '../platform/testing/peers.js';
import { DAY_MS } from './reminders.js';
import { runPasswordReminders } from './reminders.job.js';
import { buildReminderMessage } from './reminders.message.js';
import { setOrganisationLifetime } from './reminders.repo.js';

/**
 * Debian's python3-dkim as an independent verifier. `dkimverify` reads the message on
 * stdin but can only look keys up in DNS, so this runs its library the same way with a
 * dnsfunc that answers the platform's TXT record from the environment.
 */
const PY = '/usr/bin/python3';
const DKIMPY = `
import os, sys, dkim
name = os.environ['PW_DKIM_NAME'].lower()
txt = os.environ['PW_DKIM_TXT'].encode()
def dnsfunc(n, timeout=5):
    return txt if n.decode().rstrip('.').lower() == name else None
ok = dkim.DKIM(sys.stdin.buffer.read()).verify(dnsfunc=dnsfunc)
print('signature ok' if ok else 'signature verification failed')
sys.exit(0 if ok else 1)
`;
/** Missing python3-dkim: the run's banner says so, each test that wanted it is marked skipped, and CI fails. */
const dkimpySkip = requirePeer('python3-dkim', 'the python3-dkim half of the DKIM check');

function dkimpyVerify(config: Config, raw: string): string {
  const key = platformDkimKey(config);
  const r = spawnSync(PY, ['-c', DKIMPY], { input: raw, env: { PW_DKIM_NAME: key.txtName, PW_DKIM_TXT: key.txtValue }, encoding: 'utf8' });
  return `${r.stdout.trim()}${r.stderr ? ` ${r.stderr.trim()}` : ''}`;
}

async function setPasswordTime(db: Db, accountId: string, at: string): Promise<void> {
  await db.updateTable('accounts').set({ password_changed_at: at }).where('id', '=', accountId).execute();
}

describeEachDatabase('password-expiry reminders', (t) => {
  test('day by day: exactly five reminders, on the right days, to the account\'s own address, DKIM-verifiable', async (tc) => {
    const { db } = t.handle;
    const config = testConfig({ dataDir: mkdtempSync(path.join(tmpdir(), 'pw-rem-')), publicUrl: 'https://portal.postwarden.test' });
    const org = await makeOrganisation(db);
    const offOrg = await makeOrganisation(db);
    await setOrganisationLifetime(db, offOrg.id, null, new Date().toISOString());
    const alice = await makeAccount(db, { organisationId: org.id, email: `alice@${org.domain}`, displayName: 'Alice Example' });
    const bob = await makeAccount(db, { organisationId: org.id, email: `bob@${org.domain}` });
    const carol = await makeAccount(db, { organisationId: offOrg.id, email: `carol@${offOrg.domain}` });
    const dave = await makeAccount(db, { organisationId: org.id, email: `dave@${org.domain}` });
    await db.updateTable('accounts').set({ status: 'disabled' }).where('id', '=', dave.id).execute();
    // Every password set on 1 January 2025 at 08:00: it expires on 1 January 2026 at 08:00.
    for (const a of [alice, bob, carol, dave]) await setPasswordTime(db, a.id, '2025-01-01T08:00:00.000Z');
    const clock = new ManualClock(new Date('2025-12-01T09:00:00.000Z'));
    const days: Record<string, number[]> = {};
    for (let day = 0; day <= 40; day++) {
      if (day === 22) await setPasswordTime(db, bob.id, clock.now().toISOString()); // Bob changes his password
      for (let run = 0; run < 2; run++) await runPasswordReminders({ db, config, clock }); // idempotent
      await deliverDueNotifications({ db, config, clock });
      for (const a of [alice, bob, carol, dave]) {
        const n = maildir(config, a.email).length;
        const seen = (days[a.email] ??= []);
        if (n > seen.length) seen.push(...Array(n - seen.length).fill(day));
      }
      clock.advance(DAY_MS);
    }
    assert.deepEqual(days[alice.email], [13, 21, 26, 29, 30], '18, 10, 5, 2 and 1 days before expiry');
    assert.deepEqual(days[bob.email], [13, 21], 'none after the password changed');
    assert.deepEqual(days[carol.email], [], 'expiry off: no reminders');
    assert.deepEqual(days[dave.email], [], 'disabled accounts get none');
    const all = await db.selectFrom('notifications').select(['recipient', 'account_id', 'status']).where('template', '=', 'reminders/password-expiry').execute();
    assert.equal(all.length, 7);
    for (const n of all) {
      const owner = [alice, bob].find((a) => a.id === n.account_id)!;
      assert.equal(n.recipient, owner.email, 'only ever to the account\'s own address');
    }

    const msgs = maildir(config, alice.email);
    assert.deepEqual(msgs.map((m) => /^Subject: (.*)$/m.exec(m)?.[1]), [18, 10, 5, 2, 1].map((d) => `Your Postwarden password expires in ${d} day${d === 1 ? '' : 's'}`));
    for (const raw of msgs) {
      assert.match(raw, /^From: Postwarden <no-reply@postwarden\.test>$/m);
      assert.match(raw, new RegExp(`^To: ${alice.email.replace(/\./g, '\\.')}$`, 'm'));
      const text = raw.replace(/=\r?\n/g, '');
      assert.match(text, /https:\/\/portal\.postwarden\.test\/password\/change/);
      assert.match(text, /the only email Postwarden sends with a link to act on your account/);
      const v = await dkimVerify(Buffer.from(raw), { resolver: dkimResolver(config) });
      assert.equal(v.results.length, 1);
      assert.equal(v.results[0]!.status.result, 'pass', 'mailauth verifies the signature');
      assert.equal(v.results[0]!.signingDomain, 'postwarden.test');
      if (!dkimpySkip) assert.equal(dkimpyVerify(config, raw), 'signature ok', 'python3-dkim verifies it too');
    }
    if (!dkimpySkip) assert.equal(dkimpyVerify(config, msgs[0]!.replace('expires in 18 days', 'expires in 81 days')), 'signature verification failed', 'and rejects an altered one');
    if (dkimpySkip) tc.skip(dkimpySkip);
  });

  test('buildReminderMessage gives the same signed bytes the outbox sends (for the gateway\'s spoof rule)', async (tc) => {
    const config = testConfig({ dataDir: mkdtempSync(path.join(tmpdir(), 'pw-rem-')) });
    const now = new Date('2026-06-01T09:00:00Z');
    const r = await buildReminderMessage(config, { to: 'erin@example.nhs.uk', displayName: 'Erin', expiresAt: new Date(now.getTime() + 5 * DAY_MS), now });
    const raw = r.raw.toString();
    assert.equal(r.subject, 'Your Postwarden password expires in 5 days');
    assert.match(raw, /^DKIM-Signature: /);
    assert.match(raw, /^To: erin@example\.nhs\.uk$/m);
    const v = await dkimVerify(r.raw, { resolver: dkimResolver(config) });
    assert.equal(v.results[0]!.status.result, 'pass');
    if (dkimpySkip) tc.skip(dkimpySkip);
    else assert.equal(dkimpyVerify(config, raw), 'signature ok');
  });
});
