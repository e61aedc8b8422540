import { z } from 'zod';

/**
 * Settings for safety MailTips and sender history (issue 6). Merged into the one schema in ../config.ts:
 * each key becomes POSTWARDEN_<KEY_IN_UPPER_SNAKE_CASE> and a key of the JSON config file.
 */
export const mailtipsShape = {} satisfies z.ZodRawShape;

export const mailtipsDefaults: Record<string, unknown> = {};

/** Keys whose values are secrets (masked by describeConfig, never logged). */
export const mailtipsSecrets: readonly string[] = [];
