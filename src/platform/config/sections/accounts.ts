import { z } from 'zod';

/**
 * Settings for UK-only mobiles and compromised accounts (issue 5). Merged into the one schema in ../config.ts:
 * each key becomes POSTWARDEN_<KEY_IN_UPPER_SNAKE_CASE> and a key of the JSON config file.
 */
export const accountsShape = {} satisfies z.ZodRawShape;

export const accountsDefaults: Record<string, unknown> = {};

/** Keys whose values are secrets (masked by describeConfig, never logged). */
export const accountsSecrets: readonly string[] = [];
