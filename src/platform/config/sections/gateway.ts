import { z } from 'zod';

/**
 * Settings for the SMTP gateway, delivery and spoof detection (issue 6). Merged into the one schema in ../config.ts:
 * each key becomes POSTWARDEN_<KEY_IN_UPPER_SNAKE_CASE> and a key of the JSON config file.
 */
export const gatewayShape = {} satisfies z.ZodRawShape;

export const gatewayDefaults: Record<string, unknown> = {};

/** Keys whose values are secrets (masked by describeConfig, never logged). */
export const gatewaySecrets: readonly string[] = [];
