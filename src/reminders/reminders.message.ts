import type { Config } from '../platform/config/config.js';
import { reportingAddresses } from '../reports/reports.config.js';
import { composeSignedEmail } from '../platform/notify/mailer.js';
import { renderEmail } from '../platform/notify/render.js';
import { reminderData } from './reminders.js';
import { REMINDER_TEMPLATE } from './reminders.job.js';

/**
 * The exact bytes of a genuine password-expiry reminder, as the outbox sends it: rendered
 * from the real template, From `no-reply@<platform domain>`, To the account's own address,
 * DKIM-signed (d=<platform domain>, s=<dkimSelector>) with the platform key. For tests of
 * the gateway's spoof rule, and for `postwarden` tooling.
 * @throws Error when the DKIM key is unavailable
 */
export async function buildReminderMessage(
  config: Config,
  input: { to: string; displayName?: string; expiresAt: Date; now?: Date; messageId?: string },
): Promise<{ raw: Buffer; messageId: string; subject: string }> {
  const now = input.now ?? new Date();
  const data = reminderData({
    publicUrl: config.publicUrl, email: input.to, displayName: input.displayName ?? input.to, expiresAt: input.expiresAt, now,
    reportAddress: reportingAddresses(config)[0]!,
  });
  const r = renderEmail(config, REMINDER_TEMPLATE, data);
  const { raw, messageId } = await composeSignedEmail(config, { to: input.to, subject: r.subject, text: r.text, html: r.html, date: now, messageId: input.messageId });
  return { raw, messageId, subject: r.subject };
}
