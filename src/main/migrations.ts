import type { Migration } from 'kysely';
import * as compromiseAndPhones from '../phones/migrations/2026-11-30T07-accounts.js';
import * as directoryAudit from '../directory/migrations/2026-11-30T01-directory-audit.js';
import * as gateway from '../gateway/migrations/2026-11-30T04-gateway.js';
import * as mailtips from '../mailtips/migrations/2026-11-30T05-mailtips.js';
import * as mfaSignin from '../mfa/migrations/2026-11-30T02-mfa-signin.js';
import * as mobileChange from '../phones/migrations/2026-12-08T01-mobile-change.js';
import { platformMigrations } from '../platform/db/migrations/index.js';
import * as recovery from '../recovery/migrations/2026-11-30T06-recovery.js';
import * as selfServiceThrottle from '../recovery/migrations/2026-12-08T03-selfservice-throttle.js';
import * as reports from '../reports/migrations/2026-11-30T08-reports.js';
import * as sessionPrivileges from '../signin/migrations/2026-12-08T04-session-privileges.js';
import * as tokenMfa from '../signin/migrations/2026-12-08T02-token-mfa.js';

/**
 * Every migration, the platform's and each capability's (each lives in its owner's
 * `migrations/` folder). The key is the name Kysely records in the database: dated, never
 * changed once released. Kysely runs them in name order, whatever the order here.
 * A new capability adds its dated migration file and one line below.
 */
export const migrations: Record<string, Migration> = {
  ...platformMigrations,
  '2026-11-30T01-directory-audit': directoryAudit,
  '2026-11-30T02-mfa-signin': mfaSignin,
  '2026-11-30T04-gateway': gateway,
  '2026-11-30T05-mailtips': mailtips,
  '2026-11-30T06-recovery': recovery,
  '2026-11-30T07-accounts': compromiseAndPhones,
  '2026-11-30T08-reports': reports,
  '2026-12-08T01-mobile-change': mobileChange,
  '2026-12-08T02-token-mfa': tokenMfa,
  '2026-12-08T03-selfservice-throttle': selfServiceThrottle,
  '2026-12-08T04-session-privileges': sessionPrivileges,
};
