import type { FastifyReply, FastifyRequest } from 'fastify';
import { ROLE_LABELS } from '../../directory/directory.js';
import { accountReadScope, auditReadScope, organisationReadScope, scopeIsEmpty } from '../../directory/directory.policy.js';
import { canViewCoverage } from '../../mfa/coverage.policy.js';
import type { Config } from '../config/config.js';

export interface NavItem {
  href: string;
  text: string;
  current?: boolean;
}

/** Navigation an actor gets: only links to pages their policies let them open. */
export function navFor(req: FastifyRequest): NavItem[] {
  const actor = req.actor;
  if (!actor) return [];
  const items: NavItem[] = [{ href: '/', text: 'Dashboard' }];
  if (!scopeIsEmpty(organisationReadScope(actor))) items.push({ href: '/organisations', text: 'Organisations' });
  if (!scopeIsEmpty(accountReadScope(actor))) items.push({ href: '/accounts', text: 'Accounts' });
  if (canViewCoverage(actor)) items.push({ href: '/mfa/coverage', text: 'MFA coverage' });
  if (!scopeIsEmpty(auditReadScope(actor))) items.push({ href: '/audit', text: 'Audit log' });
  items.push({ href: '/security', text: 'Security' });
  const path = req.url.split('?')[0]!;
  for (const i of items) i.current = i.href === '/' ? path === '/' : path === i.href || path.startsWith(i.href + '/');
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
    nav: account && !account.mustChangePassword && req.sessionStage === 'full' ? navFor(req) : [],
    csrfToken: reply.generateCsrf(),
  };
}

/** Renders a page with the layout's variables. */
export async function renderPage(req: FastifyRequest, reply: FastifyReply, config: Config, template: string, data: Record<string, unknown> = {}): Promise<FastifyReply> {
  return reply.type('text/html; charset=utf-8').view(template, { ...layoutContext(req, reply, config), ...data });
}
