import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation } from '../platform/testing/factories.js';
import { devicesRecentlyUsed } from './sessions.commands.js';
import { insertSigninEvent } from './signin.repo.js';

describeEachDatabase('devicesRecentlyUsed', (t) => {
  test('groups successful sign-ins in the window by device, else by user agent, newest first', async () => {
    const { db } = t.handle;
    const org = await makeOrganisation(db);
    const acc = await makeAccount(db, { organisationId: org.id });
    const other = await makeAccount(db, { organisationId: org.id });
    const at = (day: number, hour = 9): string => new Date(Date.UTC(2026, 10, day, hour)).toISOString();
    const ev = async (o: { account?: string; at: string; step?: 'password' | 'totp'; outcome?: 'success' | 'failure' | 'locked'; ip?: string; ua?: string; device?: string | null }): Promise<void> =>
      insertSigninEvent(db, {
        id: randomUUID(), account_id: o.account ?? acc.id, organisation_id: org.id, at: o.at, step: o.step ?? 'password', outcome: o.outcome ?? 'success',
        ip: o.ip ?? '10.0.0.1', user_agent: o.ua ?? 'Firefox/128', device_id: o.device === undefined ? 'dev-laptop-000000' : o.device,
      });
    await ev({ at: at(1) }); // before the window
    await ev({ at: at(5) });
    await ev({ at: at(5, 10), step: 'totp' });
    await ev({ at: at(8), ip: '10.0.0.2' });
    await ev({ at: at(9), device: null, ua: 'curl/8.5.0', ip: '192.0.2.7' });
    await ev({ at: at(10), device: 'dev-attacker-0000', outcome: 'failure' }); // failures are not use
    await ev({ at: at(10), device: 'dev-attacker-0000', outcome: 'locked' });
    await ev({ at: at(11), account: other.id, device: 'dev-other-00000' }); // someone else
    await ev({ at: at(30) }); // at `to`: outside (the window is half-open)

    const devices = await devicesRecentlyUsed(db, acc.id, new Date(at(2)), new Date(at(30)));
    assert.deepEqual(devices, [
      { deviceId: null, userAgent: 'curl/8.5.0', ips: ['192.0.2.7'], firstSeen: at(9), lastSeen: at(9), signIns: 1 },
      { deviceId: 'dev-laptop-000000', userAgent: 'Firefox/128', ips: ['10.0.0.1', '10.0.0.2'], firstSeen: at(5), lastSeen: at(8), signIns: 2 },
    ]);
    assert.deepEqual(await devicesRecentlyUsed(db, randomUUID(), new Date(at(1)), new Date(at(31))), []);
  });
});
