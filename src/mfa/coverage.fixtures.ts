import type { Actor } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { makeAccount, makeOrganisation } from '../platform/testing/factories.js';
import type { Role } from '../directory/directory.js';

/**
 * Test data for the coverage tests (not used by the application): two organisations
 * with accounts in Finance/finance/HR/Clinical/Estates, administrators, a marked and a
 * compromised account, and some enrolled. EXPECTED_A is what the dashboard must show.
 */

export const EXPECTED_A = [
  { businessArea: 'Clinical', total: 6, required: 4, requiredEnrolled: 1, enrolled: 2, highRisk: false },
  { businessArea: 'Estates', total: 2, required: 0, requiredEnrolled: 0, enrolled: 0, highRisk: false },
  { businessArea: 'Finance', total: 3, required: 3, requiredEnrolled: 1, enrolled: 1, highRisk: true },
  { businessArea: 'HR', total: 1, required: 1, requiredEnrolled: 1, enrolled: 1, highRisk: true },
  { businessArea: 'finance', total: 1, required: 1, requiredEnrolled: 0, enrolled: 0, highRisk: true },
];

export interface Seeded {
  orgA: { id: string; code: string; name: string; domain: string };
  orgB: { id: string; code: string; name: string; domain: string };
  /** Accounts by nickname. */
  a: Record<string, { id: string; email: string }>;
  b: Record<string, { id: string; email: string }>;
  la: { id: string; email: string };
  /** Sign-in addresses of the other actors. */
  emails: { laB: string; admin: string; csoc: string; plain: string };
  actors: { la: Actor; laB: Actor; admin: Actor; csoc: Actor; plain: Actor };
}

/** Seeds both organisations. Only the administrators have passwords (they sign in). */
export async function seedCoverage(db: Db): Promise<Seeded> {
  const orgA = await makeOrganisation(db, { name: 'Alpha Coverage Trust' });
  const orgB = await makeOrganisation(db, { name: 'Bravo Coverage Trust' });
  const mk = async (orgId: string, domain: string, nick: string, area: string, opts: { roles?: Role[]; totp?: boolean; password?: boolean } = {}) =>
    makeAccount(db, { organisationId: orgId, email: `${nick}@${domain}`, businessArea: area, roles: opts.roles, totp: opts.totp, password: opts.password ? undefined : null });
  const a: Seeded['a'] = {};
  a.f1 = await mk(orgA.id, orgA.domain, 'f1', 'Finance', { totp: true });
  a.f2 = await mk(orgA.id, orgA.domain, 'f2', 'Finance');
  a.f3 = await mk(orgA.id, orgA.domain, 'f3', 'Finance');
  a.f4 = await mk(orgA.id, orgA.domain, 'f4', 'finance');
  a.h1 = await mk(orgA.id, orgA.domain, 'h1', 'HR', { totp: true });
  a.c1 = await mk(orgA.id, orgA.domain, 'c1', 'Clinical');
  a.c2 = await mk(orgA.id, orgA.domain, 'c2', 'Clinical', { totp: true });
  a.c3 = await mk(orgA.id, orgA.domain, 'c3', 'Clinical');
  a.c4 = await mk(orgA.id, orgA.domain, 'c4', 'Clinical');
  a.c5 = await mk(orgA.id, orgA.domain, 'la', 'Clinical', { roles: ['user', 'local-admin'], password: true });
  a.c6 = await mk(orgA.id, orgA.domain, 'c6', 'Clinical', { roles: ['user', 'helpdesk'], totp: false });
  a.e1 = await mk(orgA.id, orgA.domain, 'e1', 'Estates');
  a.e2 = await mk(orgA.id, orgA.domain, 'e2', 'Estates');
  await db.updateTable('accounts').set({ mfa_required: 1 }).where('id', '=', a.c3.id).execute();
  await db.updateTable('accounts').set({ compromised_at: '2026-01-01T00:00:00.000Z' }).where('id', '=', a.c4.id).execute();
  // A pending (unconfirmed) enrolment is not a factor.
  await db.insertInto('mfa_factors').values({
    id: crypto.randomUUID(), account_id: a.e1.id, kind: 'totp', name: 'pending', status: 'pending', secret_enc: null, last_step: null,
    credential_id: null, public_key: null, sign_count: null, transports: '[]', created_at: new Date().toISOString(), last_used_at: null,
  }).execute();

  const b: Seeded['b'] = {};
  b.f1 = await mk(orgB.id, orgB.domain, 'bf1', 'Finance');
  b.e1 = await mk(orgB.id, orgB.domain, 'be1', 'Estates');
  b.la = await mk(orgB.id, orgB.domain, 'lab', 'Clinical', { roles: ['user', 'local-admin'], password: true });
  const admin = await mk(orgB.id, orgB.domain, 'admin', 'Platform', { roles: ['user', 'platform-admin'], password: true });
  const csoc = await mk(orgB.id, orgB.domain, 'csoc', 'Platform', { roles: ['user', 'csoc'], password: true });
  const plain = await mk(orgB.id, orgB.domain, 'plain', 'Estates', { password: true });
  const actor = (acc: { id: string; email: string }, orgId: string, roles: Actor['roles']): Actor => ({ accountId: acc.id, email: acc.email, organisationId: orgId, roles });
  return {
    orgA, orgB, a, b, la: a.c5, emails: { laB: b.la.email, admin: admin.email, csoc: csoc.email, plain: plain.email },
    actors: {
      la: actor(a.c5, orgA.id, [{ role: 'user', scope: '*' }, { role: 'local-admin', scope: orgA.id }]),
      laB: actor(b.la, orgB.id, [{ role: 'user', scope: '*' }, { role: 'local-admin', scope: orgB.id }]),
      admin: actor(admin, orgB.id, [{ role: 'user', scope: '*' }, { role: 'platform-admin', scope: '*' }]),
      csoc: actor(csoc, orgB.id, [{ role: 'user', scope: '*' }, { role: 'csoc', scope: '*' }]),
      plain: actor(plain, orgB.id, [{ role: 'user', scope: '*' }]),
    },
  };
}
