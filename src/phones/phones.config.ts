import { z } from 'zod';
import type { ConfigSection } from '../platform/config/config.js';

/**
 * Settings for UK-only mobiles (issue 5). Merged by platform/config/config.ts into the one schema:
 * each key becomes POSTWARDEN_<KEY_IN_UPPER_SNAKE_CASE> and a key of the JSON config file.
 */
const boolish = z.union([z.boolean(), z.enum(['true', 'false', '1', '0'])]).transform((v) => v === true || v === 'true' || v === '1');

export const phonesShape = {
  /** Guernsey, Jersey and Isle of Man mobiles (+44 too) may be registered. POSTWARDEN_ALLOW_CROWN_DEPENDENCY_MOBILES */
  allowCrownDependencyMobiles: boolish,
} satisfies z.ZodRawShape;

export const phonesDefaults: Record<string, unknown> = {
  allowCrownDependencyMobiles: true,
};

/** Keys whose values are secrets (masked by describeConfig, never logged). */
export const phonesSecrets: readonly string[] = [];

/** The phones section of the configuration, listed in src/main/config.ts. */
export const phonesConfig: ConfigSection = { name: 'phones', shape: phonesShape, defaults: phonesDefaults, secrets: phonesSecrets };

/** The phones settings as the code reads them; merged into `Config`. */
export type PhonesSettings = z.infer<z.ZodObject<typeof phonesShape>>;

declare module '../platform/config/config.js' {
  interface CapabilitySettings extends PhonesSettings {}
}
