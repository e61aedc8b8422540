import type { FastifyReply, FastifyRequest } from 'fastify';
import { ROLE_LABELS } from '../../directory/directory.js';
import { accountReadScope, auditReadScope, organisationReadScope, scopeIsEmpty } from '../../directory/directory.policy.js';
import { canViewCoverage } from '../../mfa/coverage.policy.js';
import { laOrganisations } from '../../directory/directory.policy.js';
import { canUseConsole } from '../../recovery/recovery.policy.js';
import { canReadBulletins } from '../../bulletins/bulletins.policy.js';
import { canViewOutbox } from '../notify/notify.policy.js';
import { canTriage } from '../../reports/reports.policy.js';
import { canViewQuarantine } from '../../gateway/gateway.policy.js';
import { canViewCases } from '../../compromise/compromise.policy.js';
import { canRunSweep, canViewDisabledList } from '../../phones/phones.policy.js';
import type { Config } from '../config/config.js';
import { csrfTokenFor } from './csrf.js';

export interface NavItem {
  href: string;
  text: string;
  current?: boolean;
}

/** Links shown in the header (each role gets at most seven); every other tool is listed on the dashboard. */
const PRIMARY = new Set(['/', '/organisations', '/accounts', '/mfa/coverage', '/recovery', '/reports', '/audit', '/security']);

/** Every tool an actor gets (header and dashboard): only links to pages their policies let them open. */
export function navFor(req: FastifyRequest): NavItem[] {
  const actor = req.actor;
  if (!actor) return [];
  const items: NavItem[] = [{ href: '/', text: 'Dashboard' }];
  if (!scopeIsEmpty(organisationReadScope(actor))) items.push({ href: '/organisations', text: 'Organisations' });
  if (!scopeIsEmpty(accountReadScope(actor))) items.push({ href: '/accounts', text: 'Accounts' });
  if (canViewCoverage(actor)) items.push({ href: '/mfa/coverage', text: 'MFA coverage' });
  if (canUseConsole(actor)) items.push({ href: '/recovery', text: 'Verify and reset' });
  if (laOrganisations(actor).length > 0) items.push({ href: '/recovery/review', text: 'Reset review' });
  if (canViewCases(actor)) items.push({ href: '/compromise', text: 'Compromised accounts' });
  if (canViewDisabledList(actor)) items.push({ href: '/phones/disabled', text: 'Non-UK mobiles' });
  if (canRunSweep(actor)) items.push({ href: '/phones/sweeps', text: 'Mobile number sweep' });
  if (canTriage(actor)) items.push({ href: '/reports', text: 'Phishing reports' });
  if (canViewQuarantine(actor)) items.push({ href: '/quarantine', text: 'Quarantine' });
  if (canReadBulletins(actor)) items.push({ href: '/bulletins', text: 'Bulletins' });
  if (canViewOutbox(actor)) items.push({ href: '/outbox', text: 'Outbox' });
  if (!scopeIsEmpty(auditReadScope(actor))) items.push({ href: '/audit', text: 'Audit log' });
  items.push({ href: '/notifications', text: 'Messages to you' });
  items.push({ href: '/reports/upload', text: 'Report phishing' });
  items.push({ href: '/security', text: 'Security' });
  const path = req.url.split('?')[0]!;
  // The longest matching link is the current one (/reports/upload, not /reports).
  const matches = items.filter((i) => (i.href === '/' ? path === '/' : path === i.href || path.startsWith(i.href + '/')));
  const best = matches.sort((a, b) => b.href.length - a.href.length)[0];
  for (const i of items) i.current = i === best;
  return items;
}

/** Variables every page's layout needs. */
export function layoutContext(req: FastifyRequest, reply: FastifyReply, config: Config): Record<string, unknown> {
  const account = req.account;
  return {
    serviceName: config.serviceName,
    logoUrl: config.logoUrl,
    helpdesk: { phone: config.helpdeskPhone, email: config.helpdeskEmail, hours: config.helpdeskHours },
    currentUser: account && req.actor
      ? { displayName: account.displayName, email: account.email, roleLabels: [...new Set(req.actor.roles.map((g) => ROLE_LABELS[g.role]))] }
      : undefined,
    nav: account && !account.mustChangePassword && req.sessionStage === 'full' ? navFor(req).filter((i) => PRIMARY.has(i.href)) : [],
    csrfToken: csrfTokenFor(req, reply, config),
  };
}

/** Renders a page with the layout's variables. */
export async function renderPage(req: FastifyRequest, reply: FastifyReply, config: Config, template: string, data: Record<string, unknown> = {}): Promise<FastifyReply> {
  return reply.type('text/html; charset=utf-8').view(template, { ...layoutContext(req, reply, config), ...data });
}
