import type { Migration } from 'kysely';
import * as m001 from './2026-11-30T01-directory-audit.js';
import * as m002 from './2026-11-30T02-mfa-signin.js';
import * as m003 from './2026-11-30T03-notify.js';
import * as m004 from './2026-11-30T04-gateway.js';
import * as m005 from './2026-11-30T05-mailtips.js';
import * as m006 from './2026-11-30T06-recovery.js';
import * as m007 from './2026-11-30T07-accounts.js';
import * as m008 from './2026-11-30T08-reports.js';
import * as m009 from './2026-12-08T01-mobile-change.js';
import * as m010 from './2026-12-08T03-selfservice-throttle.js';
import * as m011 from './2026-12-08T02-token-mfa.js';
import * as m012 from './2026-12-08T04-session-privileges.js';

/** Every migration in order. Names are dated and never change once released. */
export const migrations: Record<string, Migration> = {
  '2026-11-30T01-directory-audit': m001,
  '2026-11-30T02-mfa-signin': m002,
  '2026-11-30T03-notify': m003,
  '2026-11-30T04-gateway': m004,
  '2026-11-30T05-mailtips': m005,
  '2026-11-30T06-recovery': m006,
  '2026-11-30T07-accounts': m007,
  '2026-11-30T08-reports': m008,
  '2026-12-08T01-mobile-change': m009,
  '2026-12-08T03-selfservice-throttle': m010,
  '2026-12-08T02-token-mfa': m011,
  '2026-12-08T04-session-privileges': m012,
};
