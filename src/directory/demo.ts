import { randomUUID } from 'node:crypto';
import { recordAudit } from '../audit/audit.commands.js';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { generateOneTimePassword, hashPassword } from '../signin/password.js';
import { DEMO_SECURITY_ANSWERS, storeSecurityQuestions } from '../recovery/questions.commands.js';
import { grantsFor, type Role } from './directory.js';
import { findOrganisationByCode, insertAccount, replaceOrganisationDomains, replaceRoles, upsertOrganisation } from './directory.repo.js';

export const DEMO_ORG_CODE = 'DEMO01';

const PEOPLE: { local: string; name: string; area: string; roles: Role[]; mobile?: string; signIn?: boolean }[] = [
  { local: 'la', name: 'Lee Adams (Local Administrator)', area: 'IT', roles: ['user', 'local-admin'], signIn: true },
  { local: 'finance.officer', name: 'Farah Khan', area: 'Finance', roles: ['user'], mobile: '+447911123456', signIn: true },
  { local: 'hr.advisor', name: 'Harriet Jones', area: 'HR', roles: ['user'] },
  { local: 'ward.nurse', name: 'Nia Okafor', area: 'Clinical', roles: ['user'], mobile: '+447400123456' },
  { local: 'porter', name: 'Paul Smith', area: 'Estates', roles: ['user'] },
];

/**
 * Seeds a demo organisation with a few accounts, once. Only the quick-start command calls
 * this; `serve` never seeds. The demo LA and the Finance officer get one-time passwords
 * (to be changed at first sign-in; both must also enrol MFA, the LA for the role and the
 * officer for the high-risk area); the others have none until a reset. Every demo person
 * has the documented demo security answers, so the helpdesk console can be tried at once.
 * @returns the addresses and one-time passwords, or null when the demo already exists
 */
export async function seedDemoOrganisation(db: Db, ctx: Ctx, platformDomain: string, secretKey: Buffer): Promise<{ email: string; password: string; who: string }[] | null> {
  if (await findOrganisationByCode(db, DEMO_ORG_CODE)) return null;
  const domain = `demo-trust.${platformDomain}`;
  const credentials: { email: string; password: string; who: string; hash: string }[] = [];
  for (const p of PEOPLE.filter((x) => x.signIn)) {
    const password = generateOneTimePassword();
    credentials.push({ email: `${p.local}@${domain}`, password, who: p.name, hash: await hashPassword(password) });
  }
  const now = ctx.now.toISOString();
  return db.transaction().execute(async (trx) => {
    const { id: orgId } = await upsertOrganisation(trx, {
      id: randomUUID(), code: DEMO_ORG_CODE, name: 'Demo Hospitals NHS Trust', highRiskAreas: ['Finance', 'HR'],
      laContact: `Lee Adams, IT service desk, 0300 000 0001, la@${domain}`, now,
    });
    await replaceOrganisationDomains(trx, orgId, [domain]);
    for (const p of PEOPLE) {
      const id = randomUUID();
      const cred = credentials.find((c) => c.email === `${p.local}@${domain}`);
      await insertAccount(trx, {
        id, organisationId: orgId, email: `${p.local}@${domain}`, displayName: p.name, businessArea: p.area, mobile: p.mobile ?? null,
        passwordHash: cred?.hash ?? null, mustChangePassword: cred !== undefined, now,
      });
      await replaceRoles(trx, id, grantsFor(p.roles, orgId));
      await storeSecurityQuestions(trx, secretKey, id, DEMO_SECURITY_ANSWERS, now);
    }
    await recordAudit(trx, ctx, { action: 'demo.seed', organisationId: orgId, target: `organisation:${orgId}`, details: { accounts: PEOPLE.length } });
    return credentials.map(({ email, password, who }) => ({ email, password, who }));
  });
}
