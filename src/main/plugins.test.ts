import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Role } from '../directory/directory.js';
import { packageRoot } from '../platform/paths.js';
import { ManualClock, testApp } from '../platform/testing/app.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation, signedInClient } from '../platform/testing/factories.js';
import { PLUGINS } from './plugins.js';

test('every capability folder has one plugin, and the composition root lists each once', async () => {
  const src = path.join(packageRoot, 'src');
  const capabilities = readdirSync(src).filter((d) => statSync(path.join(src, d)).isDirectory() && d !== 'platform' && d !== 'main').sort();
  for (const cap of capabilities) {
    const mod = (await import(`../${cap}/${cap}.plugin.js`)) as Record<string, { name?: string }>;
    assert.deepEqual(Object.values(mod).map((p) => p.name), [cap], `${cap}/${cap}.plugin.ts exports one plugin named ${cap}`);
  }
  assert.deepEqual(PLUGINS.map((p) => p.name).sort(), capabilities);
});

/** The header's links and the dashboard's tools, as "href text". */
function linksOf(html: string): { header: string[]; tools: string[] } {
  const menu = /<nav class="nhsuk-header__navigation" aria-label="Menu">([\s\S]*?)<\/nav>/.exec(html)?.[1] ?? '';
  // The current page's link (here the dashboard) holds its text in a <strong>.
  const header = [...menu.matchAll(/<a class="nhsuk-header__navigation-link" href="([^"]+)"[^>]*>\s*(?:<strong[^>]*>)?([^<]*?)\s*(?:<\/strong>)?\s*<\/a>/g)].map((m) => `${m[1]} ${m[2]}`);
  const toolList = /<h2>Tools<\/h2>\s*<ul[^>]*>([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '';
  const tools = [...toolList.matchAll(/<a href="([^"]+)">([^<]*)<\/a>/g)].map((m) => `${m[1]} ${m[2]}`);
  return { header, tools };
}

const EXPECTED: Record<Role, { header: string[]; tools: string[] }> = {
  user: {
    header: ['/ Dashboard', '/security Security'],
    tools: ['/notifications Messages to you', '/reports/upload Report phishing'],
  },
  'local-admin': {
    header: ['/ Dashboard', '/organisations Organisations', '/accounts Accounts', '/mfa/coverage MFA coverage', '/recovery Verify and reset', '/audit Audit log', '/security Security'],
    tools: ['/organisations Organisations', '/accounts Accounts', '/mfa/coverage MFA coverage', '/recovery Verify and reset', '/recovery/review Reset review', '/compromise Compromised accounts', '/phones/disabled Non-UK mobiles', '/bulletins Bulletins', '/audit Audit log', '/notifications Messages to you', '/reports/upload Report phishing'],
  },
  helpdesk: {
    header: ['/ Dashboard', '/organisations Organisations', '/accounts Accounts', '/mfa/coverage MFA coverage', '/recovery Verify and reset', '/security Security'],
    tools: ['/organisations Organisations', '/accounts Accounts', '/mfa/coverage MFA coverage', '/recovery Verify and reset', '/bulletins Bulletins', '/notifications Messages to you', '/reports/upload Report phishing'],
  },
  csoc: {
    header: ['/ Dashboard', '/organisations Organisations', '/accounts Accounts', '/mfa/coverage MFA coverage', '/reports Phishing reports', '/audit Audit log', '/security Security'],
    tools: ['/organisations Organisations', '/accounts Accounts', '/mfa/coverage MFA coverage', '/compromise Compromised accounts', '/reports Phishing reports', '/quarantine Quarantine', '/bulletins Bulletins', '/audit Audit log', '/notifications Messages to you', '/reports/upload Report phishing'],
  },
  'platform-admin': {
    header: ['/ Dashboard', '/organisations Organisations', '/accounts Accounts', '/mfa/coverage MFA coverage', '/reports Phishing reports', '/audit Audit log', '/security Security'],
    // Reset review: platform admins may read every organisation's (recovery.policy canReviewResets).
    tools: ['/organisations Organisations', '/accounts Accounts', '/mfa/coverage MFA coverage', '/recovery/review Reset review', '/compromise Compromised accounts', '/phones/disabled Non-UK mobiles', '/phones/sweeps Mobile number sweep', '/reports Phishing reports', '/quarantine Quarantine', '/bulletins Bulletins', '/outbox Outbox', '/audit Audit log', '/notifications Messages to you', '/reports/upload Report phishing'],
  },
};

describeEachDatabase('links from the capability plugins', (t) => {
  let app: FastifyInstance;
  const clock = new ManualClock(new Date());
  before(async () => {
    ({ app } = await testApp(t.handle.db, { clock }));
  });
  after(async () => app.close());

  for (const role of Object.keys(EXPECTED) as Role[]) {
    test(`${role}: the header and the dashboard's tools show exactly the links their policies allow, in order`, async () => {
      const org = await makeOrganisation(t.handle.db);
      const account = await makeAccount(t.handle.db, { organisationId: org.id, roles: [role] });
      const c = await signedInClient(app, clock, account.email);
      const r = await c.get('/');
      assert.equal(r.status, 200);
      assert.deepEqual(linksOf(r.body), EXPECTED[role]);
    });
  }
});
