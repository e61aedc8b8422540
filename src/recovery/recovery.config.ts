import { z } from 'zod';
import type { ConfigSection } from '../platform/config/config.js';

/**
 * Settings for security questions, verified resets, reset review (issue 4). Merged by platform/config/config.ts into the one schema:
 * each key becomes POSTWARDEN_<KEY_IN_UPPER_SNAKE_CASE> and a key of the JSON config file.
 */
export const recoveryShape = {
  /** Failed verifications (questions or second factor) before verification of an account is locked. */
  recoveryMaxFailures: z.coerce.number().int().min(1).max(20),
  /** How long verification of an account stays locked after too many failures. */
  recoveryLockMinutes: z.coerce.number().int().min(1).max(24 * 60),
  /** How long a passed verification may be used for one reset. */
  recoveryVerificationMinutes: z.coerce.number().int().min(1).max(60),
  /** How long a one-time code sent by SMS is valid. */
  recoverySmsCodeMinutes: z.coerce.number().int().min(1).max(30),
  /** Self-service reset requests per client address per minute. */
  recoverySelfServiceRateLimitPerMinute: z.coerce.number().int().min(1).max(10_000),
  /** Self-service failures (wrong digits, characters or code) for one address typed, per window, before self-service refuses it. */
  recoverySelfServiceMaxPerAccount: z.coerce.number().int().min(1).max(1000),
  /** Self-service failures from one client address, per window, before self-service refuses it. */
  recoverySelfServiceMaxPerClient: z.coerce.number().int().min(1).max(100_000),
  /** The window of the two self-service failure counters. */
  recoverySelfServiceWindowMinutes: z.coerce.number().int().min(1).max(24 * 60),
  /** Self-service failures for an account, in one window, at which its LAs are emailed (once per window). */
  recoverySelfServiceNotifyFailures: z.coerce.number().int().min(1).max(1000),
  /** Where the CSOC is told of verification locks; default `csoc@<platform domain>`. */
  csocEmail: z.string().regex(/^[^\s,@]+@[^\s,@]+$/, 'must be one email address').optional(),
  /** Every self-service answer takes at least this long, so that timing does not say whether an account exists. */
  recoverySelfServiceFloorMs: z.coerce.number().int().min(0).max(10_000),
  /** LAs are reminded to review resets when their last review is older than this. */
  recoveryReviewIntervalDays: z.coerce.number().int().min(1).max(3650),
  /** Working hours for the "outside working hours" flag, e.g. `Mon-Fri 08:00-18:00`. */
  recoveryWorkingHours: z.string().regex(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)-(Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/, 'must look like Mon-Fri 08:00-18:00'),
  /** Time zone of the working hours (IANA name). */
  recoveryTimeZone: z.string().refine((v) => {
    try {
      new Intl.DateTimeFormat('en-GB', { timeZone: v });
      return true;
    } catch {
      return false;
    }
  }, 'must be an IANA time zone such as Europe/London'),
  /** More resets than this by one agent in one organisation on one day is flagged as unusual volume. */
  recoveryUnusualVolumePerDay: z.coerce.number().int().min(1).max(10_000),
  /** Days after someone other than the account (or the account without MFA) sets its mobile before it counts as a second factor. */
  recoveryNewMobileDays: z.coerce.number().int().min(0).max(90),
} satisfies z.ZodRawShape;

export const recoveryDefaults: Record<string, unknown> = {
  recoveryMaxFailures: 3,
  recoveryLockMinutes: 15,
  recoveryVerificationMinutes: 10,
  recoverySmsCodeMinutes: 5,
  recoverySelfServiceRateLimitPerMinute: 10,
  recoverySelfServiceFloorMs: 300,
  recoverySelfServiceMaxPerAccount: 5,
  recoverySelfServiceMaxPerClient: 20,
  recoverySelfServiceWindowMinutes: 15,
  recoverySelfServiceNotifyFailures: 5,
  recoveryReviewIntervalDays: 90,
  recoveryWorkingHours: 'Mon-Fri 08:00-18:00',
  recoveryTimeZone: 'Europe/London',
  recoveryUnusualVolumePerDay: 5,
  recoveryNewMobileDays: 7,
};

/** Keys whose values are secrets (masked by describeConfig, never logged). */
export const recoverySecrets: readonly string[] = [];

/** The CSOC's address for verification-lock emails, in lower case. */
export function csocAddress(config: { csocEmail?: string | undefined; platformDomain: string }): string {
  return (config.csocEmail ?? `csoc@${config.platformDomain}`).toLowerCase();
}

/** The recovery section of the configuration, listed in src/main/config.ts. */
export const recoveryConfig: ConfigSection = { name: 'recovery', shape: recoveryShape, defaults: recoveryDefaults, secrets: recoverySecrets };

/** The recovery settings as the code reads them; merged into `Config`. */
export type RecoverySettings = z.infer<z.ZodObject<typeof recoveryShape>>;

declare module '../platform/config/config.js' {
  interface CapabilitySettings extends RecoverySettings {}
}
