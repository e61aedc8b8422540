import { findAccount } from '../directory/directory.repo.js';
import type { Db } from '../platform/db/db.js';
import { makeAccount, makeOrganisation } from '../platform/testing/factories.js';
import { hashSecret } from '../signin/signin.js';
import { insertSession } from '../signin/signin.repo.js';

/** Test data for the sweep: an organisation of people with every kind of stored number, and a way to compare outcomes. */

export const NOW = new Date('2026-04-01T09:00:00.000Z');

/** Numbers as they might be stored, and whether the rule (Crown dependencies not allowed) lets them stay. */
export const PEOPLE: [string, string | null, boolean][] = [
  ['gb', '+447400123456', true], ['gb-national', '07400 123457', true], ['none', null, true], ['french', '+33612345678', false],
  ['irish', '+353851234567', false], ['us', '+12025550123', false], ['landline', '+441614960123', false], ['garbage', 'ring reception', false],
  ['guernsey', '+447781123456', false], ['gb2', '+447912345678', true], ['drama', '07700 900123', false], ['gb3', '+447400999999', true],
];

export async function seedOrg(db: Db, label: string): Promise<{ orgId: string; code: string; ids: Record<string, string>; la: string }> {
  const org = await makeOrganisation(db, { code: `SW${label}${Date.now().toString(36).slice(-5)}`.toUpperCase().slice(0, 12) });
  const ids: Record<string, string> = {};
  for (const [who, mobile] of PEOPLE) ids[who] = (await makeAccount(db, { organisationId: org.id, mobile, email: `${who}@${org.domain}` })).id;
  // Already handled by an earlier sweep, and one disabled for another reason.
  ids['old'] = (await makeAccount(db, { organisationId: org.id, mobile: '+33699999999', email: `old@${org.domain}` })).id;
  await db.updateTable('accounts').set({ status: 'disabled', status_reason: 'non-uk-mobile' }).where('id', '=', ids['old']!).execute();
  ids['leaver'] = (await makeAccount(db, { organisationId: org.id, mobile: '+33699999998', email: `leaver@${org.domain}` })).id;
  await db.updateTable('accounts').set({ status: 'disabled', status_reason: 'leaver' }).where('id', '=', ids['leaver']!).execute();
  const la = await makeAccount(db, { organisationId: org.id, roles: ['user', 'local-admin'], email: `la@${org.domain}` });
  await makeAccount(db, { organisationId: org.id, roles: ['user', 'local-admin'], email: `la2@${org.domain}` });
  await insertSession(db, {
    id: hashSecret(`s-${ids['french']}`), accountId: ids['french']!, createdAt: NOW.toISOString(), lastSeenAt: NOW.toISOString(), expiresAt: new Date(NOW.getTime() + 3_600_000).toISOString(),
    ip: '192.0.2.1', userAgent: 'x', stage: 'full', deviceId: null, mfaAt: null,
  });
  return { orgId: org.id, code: org.code, ids, la: la.id };
}

/** What a finished sweep did to an organisation, by person: comparable across organisations. */
export async function outcome(db: Db, runId: string, orgId: string, ids: Record<string, string>) {
  const items = await db.selectFrom('phone_sweep_items').selectAll().where('run_id', '=', runId).execute();
  const byId = new Map(items.map((i) => [i.account_id, i]));
  const people: Record<string, unknown> = {};
  for (const [who, id] of Object.entries(ids)) {
    const a = (await findAccount(db, id, { all: true }))!;
    const disables = await db.selectFrom('audit_events').select('details').where('action', '=', 'account.disable').where('target', '=', `account:${id}`).execute();
    const sessions = await db.selectFrom('sessions').select('id').where('account_id', '=', id).where('revoked_at', 'is', null).execute();
    people[who] = { status: a.status, reason: a.statusReason, item: byId.get(id)?.action ?? null, problem: byId.get(id)?.problem ?? null, disableAudits: disables.length, liveSessions: sessions.length };
  }
  const digests = await db.selectFrom('notifications').select(['recipient', 'payload_enc']).where('template', '=', 'phones/sweep-digest').where('organisation_id', '=', orgId).execute();
  const run = await db.selectFrom('phone_sweep_runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow();
  return { people, digests: digests.map((d) => d.recipient.split('@')[0]).sort(), run: [run.status, Number(run.checked), Number(run.failing), Number(run.disabled)] };
}

