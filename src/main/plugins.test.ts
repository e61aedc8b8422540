import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Role } from '../directory/directory.js';
import { cliContext } from '../platform/context.js';
import { authenticatorOf, capabilitiesOf, type CapabilityPlugin } from '../platform/http/plugin.js';
import { packageRoot } from '../platform/paths.js';
import { ManualClock, testApp, testConfig } from '../platform/testing/app.js';
import { describeEachDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation, signedInClient } from '../platform/testing/factories.js';
import { createApiToken } from '../signin/tokens.commands.js';
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

describeEachDatabase('a capability added by its plugin alone', (t) => {
  let app: FastifyInstance;
  const clock = new ManualClock(new Date());
  // A capability the platform has never heard of: a page, an API route, a link for CSOC
  // analysts only, and a task. It is added to the list, and no platform file changes.
  const probe: CapabilityPlugin = {
    name: 'probe',
    routes(a) {
      a.get('/probe', async (req, reply) => reply.type('text/plain').send(`probe page for ${req.actor!.email}`));
    },
    api(a) {
      a.get('/probe', { config: { auth: 'token' } }, async (req) => ({ email: req.actor!.email }));
    },
    nav: [{ href: '/probe', text: 'Probe', order: 25, visible: (actor) => actor.roles.some((g) => g.role === 'csoc') }],
    tasks: async (_db, ctx) => (ctx.actor?.roles.some((g) => g.role === 'csoc') ? [{ href: '/probe', text: 'Probe the thing', urgent: true }] : []),
  };
  before(async () => {
    ({ app } = await testApp(t.handle.db, { clock, plugins: [...PLUGINS, probe] }));
  });
  after(async () => app.close());

  test('its routes, API, link (in its order, by its policy) and task appear; others see neither', async () => {
    const org = await makeOrganisation(t.handle.db);
    const csoc = await makeAccount(t.handle.db, { organisationId: org.id, roles: ['csoc'] });
    const user = await makeAccount(t.handle.db, { organisationId: org.id });
    const c = await signedInClient(app, clock, csoc.email);
    const home = await c.get('/');
    assert.deepEqual(linksOf(home.body).header, EXPECTED.csoc.header, 'the header keeps its seven links');
    assert.deepEqual(linksOf(home.body).tools, [...EXPECTED.csoc.tools.slice(0, 2), '/probe Probe', ...EXPECTED.csoc.tools.slice(2)]);
    assert.match(home.body, /<strong class="nhsuk-tag nhsuk-tag--red">Urgent<\/strong> <a href="\/probe">Probe the thing<\/a>/);
    assert.equal((await c.get('/probe')).body, `probe page for ${csoc.email}`);
    const token = (await createApiToken(t.handle.db, cliContext(new Date()), { email: csoc.email, name: 'probe' })).token;
    const api = await app.inject({ method: 'GET', url: '/api/v1/probe', headers: { authorization: `Bearer ${token}` } });
    assert.deepEqual([api.statusCode, api.json()], [200, { email: csoc.email }]);
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/probe' })).statusCode, 401);

    const u = await signedInClient(app, clock, user.email);
    const userHome = await u.get('/');
    assert.deepEqual(linksOf(userHome.body), EXPECTED.user);
    assert.doesNotMatch(userHome.body, /Probe/);
  });
});

test('plugin names are unique, and exactly one plugin authenticates', () => {
  assert.throws(() => capabilitiesOf([...PLUGINS, { name: 'recovery' }]), /Two capability plugins are named recovery/);
  const deps = { config: testConfig(), db: null as never, clock: new ManualClock(new Date()) };
  assert.throws(() => authenticatorOf(PLUGINS.filter((p) => p.name !== 'signin'), deps), /found 0/);
  assert.throws(() => authenticatorOf([...PLUGINS, { name: 'other', authenticator: PLUGINS.find((p) => p.name === 'signin')!.authenticator! }], deps), /found 2/);
  assert.equal(typeof authenticatorOf(PLUGINS, deps).session, 'function');
});
