import { z } from 'zod';
import type { ConfigSection } from '../platform/config/config.js';

/**
 * Settings for compromised accounts (issue 5). Merged by platform/config/config.ts into the one schema:
 * each key becomes POSTWARDEN_<KEY_IN_UPPER_SNAKE_CASE> and a key of the JSON config file.
 */
export const compromiseShape = {
  /** A compromised-account case open longer than this is escalated. POSTWARDEN_COMPROMISE_ESCALATION_HOURS */
  compromiseEscalationHours: z.coerce.number().int().min(1).max(24 * 90),
  /** After escalation, the LAs are reminded this often until the case closes. POSTWARDEN_COMPROMISE_REMINDER_HOURS */
  compromiseReminderHours: z.coerce.number().int().min(1).max(24 * 30),
} satisfies z.ZodRawShape;

export const compromiseDefaults: Record<string, unknown> = {
  compromiseEscalationHours: 72,
  compromiseReminderHours: 24,
};

/** Keys whose values are secrets (masked by describeConfig, never logged). */
export const compromiseSecrets: readonly string[] = [];

/** The compromise section of the configuration, listed in src/main/config.ts. */
export const compromiseConfig: ConfigSection = { name: 'compromise', shape: compromiseShape, defaults: compromiseDefaults, secrets: compromiseSecrets };

/** The compromise settings as the code reads them; merged into `Config`. */
export type CompromiseSettings = z.infer<z.ZodObject<typeof compromiseShape>>;

declare module '../platform/config/config.js' {
  interface CapabilitySettings extends CompromiseSettings {}
}
