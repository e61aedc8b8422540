import { z } from 'zod';

/**
 * Settings for security questions, verified resets, reset review (issue 4). Merged into the one schema in ../config.ts:
 * each key becomes POSTWARDEN_<KEY_IN_UPPER_SNAKE_CASE> and a key of the JSON config file.
 */
export const recoveryShape = {} satisfies z.ZodRawShape;

export const recoveryDefaults: Record<string, unknown> = {};

/** Keys whose values are secrets (masked by describeConfig, never logged). */
export const recoverySecrets: readonly string[] = [];
