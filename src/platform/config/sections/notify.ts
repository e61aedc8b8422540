import { z } from 'zod';

/**
 * Settings of the outbox machinery (platform/notify/): the mail relay, DKIM, SMS, retries.
 * The platform's own, merged into the one schema in ../config.ts: each key becomes
 * POSTWARDEN_<KEY_IN_UPPER_SNAKE_CASE> and a key of the JSON config file.
 */
const boolish = z.union([z.boolean(), z.enum(['true', 'false', '1', '0'])]).transform((v) => v === true || v === 'true' || v === '1');

export const notifyShape = {
  /** DKIM selector of the platform's signing key (`<selector>._domainkey.<platform domain>`). */
  dkimSelector: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/i, 'must be a DNS label such as pw1'),
  /**
   * Outgoing mail relay, `smtp://user:pass@host:port` (STARTTLS) or `smtps://…` (TLS from the
   * first byte). Unset: mail is delivered into the local Maildir `<data dir>/mail/<address>/`.
   */
  smarthostUrl: z.string().regex(/^smtps?:\/\/[^\s/]+(:\d{1,5})?\/?$/, 'must be smtp://[user:pass@]host[:port] or smtps://…').optional(),
  /** With smtp://, refuse to send unless the relay offers STARTTLS (default true). */
  smarthostRequireTls: boolish,
  /** GOV.UK Notify API key (`name-<service id>-<secret>`). Unset: SMS go to `<data dir>/sms-outbox/`. */
  notifyApiKey: z.string().min(74, 'must be a GOV.UK Notify API key (name-<service id>-<key>)').optional(),
  /** GOV.UK Notify SMS template whose whole text is `((body))`. */
  notifySmsTemplateId: z.string().uuid('must be the template id (a UUID)').optional(),
  /** GOV.UK Notify API base URL (tests point it at a local fake). */
  notifyBaseUrl: z.string().url().optional(),
  /** Attempts before an outbox notification is marked failed. */
  outboxMaxAttempts: z.coerce.number().int().min(1).max(50),
  /** First retry delay; doubles per attempt up to an hour. */
  outboxRetrySeconds: z.coerce.number().int().min(1).max(3600),
  /** How often each node polls the outbox. */
  outboxPollSeconds: z.coerce.number().min(0.2).max(300),
} satisfies z.ZodRawShape;

export const notifyDefaults: Record<string, unknown> = {
  dkimSelector: 'pw1',
  smarthostRequireTls: true,
  outboxMaxAttempts: 8,
  outboxRetrySeconds: 30,
  outboxPollSeconds: 2,
};

/** Keys whose values are secrets (masked by describeConfig, never logged). */
export const notifySecrets: readonly string[] = ['smarthostUrl', 'notifyApiKey'];
