import { z } from 'zod';

/**
 * Settings for UK-only mobiles and compromised accounts (issue 5). Merged into the one schema in ../config.ts:
 * each key becomes POSTWARDEN_<KEY_IN_UPPER_SNAKE_CASE> and a key of the JSON config file.
 */
const boolish = z.union([z.boolean(), z.enum(['true', 'false', '1', '0'])]).transform((v) => v === true || v === 'true' || v === '1');

export const accountsShape = {
  /** Guernsey, Jersey and Isle of Man mobiles (+44 too) may be registered. POSTWARDEN_ALLOW_CROWN_DEPENDENCY_MOBILES */
  allowCrownDependencyMobiles: boolish,
  /** A compromised-account case open longer than this is escalated. POSTWARDEN_COMPROMISE_ESCALATION_HOURS */
  compromiseEscalationHours: z.coerce.number().int().min(1).max(24 * 90),
  /** After escalation, the LAs are reminded this often until the case closes. POSTWARDEN_COMPROMISE_REMINDER_HOURS */
  compromiseReminderHours: z.coerce.number().int().min(1).max(24 * 30),
} satisfies z.ZodRawShape;

export const accountsDefaults: Record<string, unknown> = {
  allowCrownDependencyMobiles: true,
  compromiseEscalationHours: 72,
  compromiseReminderHours: 24,
};

/** Keys whose values are secrets (masked by describeConfig, never logged). */
export const accountsSecrets: readonly string[] = [];
