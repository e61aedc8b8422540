import { z } from 'zod';

/**
 * Settings for notifications, SMS, DKIM, password expiry, bulletins (issue 8). Merged into
 * the one schema in ../config.ts: each key becomes POSTWARDEN_<KEY_IN_UPPER_SNAKE_CASE>
 * and a key of the JSON config file.
 */
export const notifyShape = {
  /** DKIM selector of the platform's signing key (`<selector>._domainkey.<platform domain>`). */
  dkimSelector: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/i, 'must be a DNS label such as pw1'),
} satisfies z.ZodRawShape;

export const notifyDefaults: Record<string, unknown> = {
  dkimSelector: 'pw1',
};

/** Keys whose values are secrets (masked by describeConfig, never logged). */
export const notifySecrets: readonly string[] = [];
