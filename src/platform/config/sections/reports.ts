import { z } from 'zod';

/**
 * Settings for phishing reports (issue 7). Merged into the one schema in ../config.ts:
 * each key becomes POSTWARDEN_<KEY_IN_UPPER_SNAKE_CASE> and a key of the JSON config file.
 */
export const reportsShape = {
  /** Reporting addresses, comma-separated; default `spamreports@<platform domain>`. */
  reportAddresses: z.string().regex(/^\s*[^\s,@]+@[^\s,@]+(\s*,\s*[^\s,@]+@[^\s,@]+)*\s*$/, 'must be one or more email addresses separated by commas').optional(),
} satisfies z.ZodRawShape;

export const reportsDefaults: Record<string, unknown> = {};

/** Keys whose values are secrets (masked by describeConfig, never logged). */
export const reportsSecrets: readonly string[] = [];

/** The reporting addresses in lower case (the gateway takes mail to them into the report store). */
export function reportingAddresses(config: { reportAddresses?: string | undefined; platformDomain: string }): string[] {
  const list = config.reportAddresses ? config.reportAddresses.split(',').map((a) => a.trim().toLowerCase()) : [];
  return list.length ? list : [`spamreports@${config.platformDomain.toLowerCase()}`];
}
