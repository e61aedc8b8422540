import { z } from 'zod';
import type { ConfigSection } from '../platform/config/config.js';

/**
 * Settings for safety MailTips and sender history (issue 6). Merged by platform/config/config.ts into the one schema:
 * each key becomes POSTWARDEN_<KEY_IN_UPPER_SNAKE_CASE> and a key of the JSON config file.
 */
const boolish = z.union([z.boolean(), z.enum(['true', 'false', '1', '0'])]).transform((v) => v === true || v === 'true' || v === '1');

export const mailtipsShape = {
  /** Low volume: a sender with fewer messages than this to the platform in the window gets a tip. */
  mailtipsLowVolumeThreshold: z.coerce.number().int().min(1).max(1_000_000),
  /** Days over which the low-volume rule counts a sender's messages. */
  mailtipsVolumeWindowDays: z.coerce.number().int().min(1).max(3650),
  /** A (recipient, sender) pair with no delivery for this many days is forgotten (first contact again). */
  mailtipsRetentionDays: z.coerce.number().int().min(1).max(36_500),
  /** Authenticated senders from member organisations' domains get no history tips. */
  mailtipsExemptInternal: boolish,
  /** Authenticated mail from the platform's own domain gets no history tips. */
  mailtipsExemptSystem: boolish,
  /** Most pairs one gateway process keeps in memory (about 17–27 bytes each); beyond, the cache restarts. */
  mailtipsCacheMaxPairs: z.coerce.number().int().min(1000).max(500_000_000),
  /** How often volume counts and last-seen days are written, batched (new pairs are written at once). */
  mailtipsWriteIntervalMs: z.coerce.number().int().min(10).max(60_000),
  /** How long a sender's message count is reused before the database is asked again. */
  mailtipsVolumeCacheSeconds: z.coerce.number().int().min(0).max(3600),
} satisfies z.ZodRawShape;

export const mailtipsDefaults: Record<string, unknown> = {
  mailtipsLowVolumeThreshold: 5,
  mailtipsVolumeWindowDays: 90,
  mailtipsRetentionDays: 730,
  mailtipsExemptInternal: true,
  mailtipsExemptSystem: true,
  mailtipsCacheMaxPairs: 10_000_000,
  mailtipsWriteIntervalMs: 1000,
  mailtipsVolumeCacheSeconds: 60,
};

/** Keys whose values are secrets (masked by describeConfig, never logged). */
export const mailtipsSecrets: readonly string[] = [];

/** The mailtips section of the configuration, listed in src/main/config.ts. */
export const mailtipsConfig: ConfigSection = { name: 'mailtips', shape: mailtipsShape, defaults: mailtipsDefaults, secrets: mailtipsSecrets };

/** The mailtips settings as the code reads them; merged into `Config`. */
export type MailtipsSettings = z.infer<z.ZodObject<typeof mailtipsShape>>;

declare module '../platform/config/config.js' {
  interface CapabilitySettings extends MailtipsSettings {}
}
