import { existsSync } from 'node:fs';
import path from 'node:path';
import nunjucks from 'nunjucks';
import type { Config } from '../config/config.js';
import { packageRoot } from '../paths.js';

/**
 * Renders notification templates: `src/<capability>/notifications/<name>.subject.njk`,
 * `.txt.njk`, `.html.njk` (email) or `.sms.njk` (SMS), named `<capability>/<name>`
 * (`notifications/test-message`). Template names resolve under src/, so email templates
 * extend the platform's layouts "platform/notify/views/email.txt.njk" / "email.html.njk".
 */

const root = path.join(packageRoot, 'src');
// HTML parts escape every variable; text, subject and SMS parts are plain text.
const htmlEnv = new nunjucks.Environment(new nunjucks.FileSystemLoader(root, { noCache: false }), { autoescape: true, throwOnUndefined: false });
const textEnv = new nunjucks.Environment(new nunjucks.FileSystemLoader(root, { noCache: false }), { autoescape: false, throwOnUndefined: false });
for (const env of [htmlEnv, textEnv]) {
  env.addFilter('longdate', (iso: unknown) => longDate(String(iso)));
}

/** "Tuesday 3 March 2026" in UTC: unambiguous for every reader. */
export function longDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleDateString('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const TEMPLATE_ID = /^[a-z][a-z0-9-]*\/[a-z][a-z0-9-]*$/;

function fileOf(template: string, part: string): string {
  if (!TEMPLATE_ID.test(template)) throw new Error(`not a template id: ${JSON.stringify(template)} (expected <capability>/<name>)`);
  const [cap, name] = template.split('/') as [string, string];
  // `platform/test-message` is the id of test messages queued before they became the
  // notifications capability's: such rows still render.
  return `${cap === 'platform' ? 'notifications' : cap}/notifications/${name}.${part}.njk`;
}

/** Whether the template has this part (e.g. 'sms', 'subject'). */
export function templateHasPart(template: string, part: 'subject' | 'txt' | 'html' | 'sms'): boolean {
  return existsSync(path.join(root, fileOf(template, part)));
}

/** What every template gets besides its own data. */
export function baseContext(config: Config): Record<string, unknown> {
  return {
    serviceName: config.serviceName,
    helpdesk: { phone: config.helpdeskPhone, email: config.helpdeskEmail, hours: config.helpdeskHours },
    publicUrl: config.publicUrl,
    platformDomain: config.platformDomain,
    noReplyAddress: `no-reply@${config.platformDomain}`,
  };
}

/** A subject is one line: no header injection, whatever the data holds. */
function oneLine(s: string): string {
  return s.replace(/[\r\n\t]+/g, ' ').replace(/\s{2,}/g, ' ').trim().slice(0, 250);
}

/**
 * Renders the subject, text and HTML parts of an email template.
 * @throws Error when a part is missing or fails to render
 */
export function renderEmail(config: Config, template: string, data: Record<string, unknown>): RenderedEmail {
  const ctx = { ...data, ...baseContext(config) };
  const subject = oneLine(textEnv.render(fileOf(template, 'subject'), ctx));
  const text = textEnv.render(fileOf(template, 'txt'), { ...ctx, subject }).replace(/\n{3,}/g, '\n\n').trim() + '\n';
  const html = htmlEnv.render(fileOf(template, 'html'), { ...ctx, subject });
  return { subject, text, html };
}

/**
 * Renders an SMS template, and a subject for the history when `<name>.subject.njk` exists
 * (else "Text message"). The body may hold a code: it is never stored.
 * @throws Error when the template is missing or fails to render
 */
export function renderSms(config: Config, template: string, data: Record<string, unknown>): { subject: string; body: string } {
  const ctx = { ...data, ...baseContext(config) };
  const body = textEnv.render(fileOf(template, 'sms'), ctx).replace(/\s+\n/g, '\n').trim();
  const subject = templateHasPart(template, 'subject') ? oneLine(textEnv.render(fileOf(template, 'subject'), ctx)) : 'Text message';
  return { subject, body };
}
