import { randomUUID } from 'node:crypto';
import { recordAudit } from '../audit/audit.commands.js';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { generateOneTimePassword, hashPassword } from '../signin/password.js';
import { grantsFor, type Role } from './directory.js';
import { findOrganisationByCode, insertAccount, replaceOrganisationDomains, replaceRoles, upsertOrganisation } from './directory.repo.js';

export const DEMO_ORG_CODE = 'DEMO01';

const PEOPLE: { local: string; name: string; area: string; roles: Role[]; mobile?: string }[] = [
  { local: 'la', name: 'Lee Adams (Local Administrator)', area: 'IT', roles: ['user', 'local-admin'] },
  { local: 'finance.officer', name: 'Farah Khan', area: 'Finance', roles: ['user'], mobile: '+447911123456' },
  { local: 'hr.advisor', name: 'Harriet Jones', area: 'HR', roles: ['user'] },
  { local: 'ward.nurse', name: 'Nia Okafor', area: 'Clinical', roles: ['user'], mobile: '+447400123456' },
  { local: 'porter', name: 'Paul Smith', area: 'Estates', roles: ['user'] },
];

/**
 * Seeds a demo organisation with a few accounts, once. Only the quick-start command calls
 * this; `serve` never seeds. The demo LA gets a one-time password (must be changed at
 * first sign-in); the others have none until a reset.
 * @returns the LA's address and one-time password, or null when the demo already exists
 */
export async function seedDemoOrganisation(db: Db, ctx: Ctx, platformDomain: string): Promise<{ laEmail: string; laPassword: string } | null> {
  if (await findOrganisationByCode(db, DEMO_ORG_CODE)) return null;
  const domain = `demo-trust.${platformDomain}`;
  const laPassword = generateOneTimePassword();
  const laHash = await hashPassword(laPassword);
  const now = ctx.now.toISOString();
  return db.transaction().execute(async (trx) => {
    const { id: orgId } = await upsertOrganisation(trx, {
      id: randomUUID(), code: DEMO_ORG_CODE, name: 'Demo Hospitals NHS Trust', highRiskAreas: ['Finance', 'HR'],
      laContact: `Lee Adams, IT service desk, 0300 000 0001, la@${domain}`, now,
    });
    await replaceOrganisationDomains(trx, orgId, [domain]);
    for (const p of PEOPLE) {
      const id = randomUUID();
      const isLa = p.roles.includes('local-admin');
      await insertAccount(trx, {
        id, organisationId: orgId, email: `${p.local}@${domain}`, displayName: p.name, businessArea: p.area, mobile: p.mobile ?? null,
        passwordHash: isLa ? laHash : null, mustChangePassword: isLa, now,
      });
      await replaceRoles(trx, id, grantsFor(p.roles, orgId));
    }
    await recordAudit(trx, ctx, { action: 'demo.seed', organisationId: orgId, target: `organisation:${orgId}`, details: { accounts: PEOPLE.length } });
    return { laEmail: `la@${domain}`, laPassword };
  });
}
