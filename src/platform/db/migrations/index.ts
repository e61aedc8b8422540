import type { Migration } from 'kysely';
import * as m001 from './2026-11-30T01-directory-audit.js';
import * as m002 from './2026-11-30T02-mfa-signin.js';

/** Every migration in order. Names are dated and never change once released. */
export const migrations: Record<string, Migration> = {
  '2026-11-30T01-directory-audit': m001,
  '2026-11-30T02-mfa-signin': m002,
};
