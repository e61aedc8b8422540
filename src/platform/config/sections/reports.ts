import { z } from 'zod';

/**
 * Settings for phishing reports (issue 7). Merged into the one schema in ../config.ts:
 * each key becomes POSTWARDEN_<KEY_IN_UPPER_SNAKE_CASE> and a key of the JSON config file.
 */
export const reportsShape = {} satisfies z.ZodRawShape;

export const reportsDefaults: Record<string, unknown> = {};

/** Keys whose values are secrets (masked by describeConfig, never logged). */
export const reportsSecrets: readonly string[] = [];
