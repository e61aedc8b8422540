import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/config.js';
import { csrfTokenFor } from './csrf.js';

export interface NavItem {
  href: string;
  text: string;
  /** Shown in the header as well as on the dashboard. */
  header: boolean;
  current?: boolean;
}

/** Every tool an actor gets (header and dashboard): the plugins' links their policies let them open, in order. */
export function navFor(req: FastifyRequest): NavItem[] {
  const actor = req.actor;
  if (!actor) return [];
  const items: NavItem[] = req.server.capabilities.nav.filter((e) => e.visible(actor)).map((e) => ({ href: e.href, text: e.text, header: e.header === true }));
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
      ? { displayName: account.displayName, email: account.email, roleLabels: [...new Set(req.actor.roles.map((g) => req.server.capabilities.roleLabels[g.role] ?? g.role))] }
      : undefined,
    nav: account && !account.mustChangePassword && req.sessionStage === 'full' ? navFor(req).filter((i) => i.header) : [],
    csrfToken: csrfTokenFor(req, reply, config),
  };
}

/** Renders a page with the layout's variables. */
export async function renderPage(req: FastifyRequest, reply: FastifyReply, config: Config, template: string, data: Record<string, unknown> = {}): Promise<FastifyReply> {
  return reply.type('text/html; charset=utf-8').view(template, { ...layoutContext(req, reply, config), ...data });
}
