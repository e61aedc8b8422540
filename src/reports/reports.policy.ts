import type { Actor } from '../platform/context.js';
import { Forbidden, NotFound, Unauthenticated } from '../platform/errors/errors.js';

/**
 * Who may do what with phishing reports. Reports are platform-wide evidence: the CSOC
 * (and platform admins) triage every organisation's reports; anyone else sees only the
 * reports they sent themselves, and another person's report is "not found".
 */

function triager(actor: Actor): boolean {
  return actor.roles.some((g) => g.role === 'csoc' || g.role === 'platform-admin');
}

/** Whether the actor works the CSOC queue (nav items, page sections). */
export function canTriage(actor: Actor | null): boolean {
  return actor !== null && triager(actor);
}

/**
 * CSOC analysts and platform admins, or the CLI operator (actor null).
 * @throws Forbidden
 */
export function authorizeTriage(actor: Actor | null): void {
  if (actor === null) return;
  if (!triager(actor)) throw new Forbidden('Only CSOC analysts and platform administrators can do this.');
}

/** Any signed-in person may report suspicious mail. @throws Unauthenticated */
export function authorizeReport(actor: Actor | null): Actor {
  if (!actor) throw new Unauthenticated();
  return actor;
}

/** Which reports an actor may list: every report, or only their own. */
export type ReportScope = { readonly all: true } | { readonly all: false; readonly reporterAccountId: string };

export function reportReadScope(actor: Actor | null): ReportScope {
  if (actor === null || triager(actor)) return { all: true };
  return { all: false, reporterAccountId: actor.accountId };
}

/**
 * Throws NotFound for a report outside scope, so that another person's report looks
 * exactly like one that does not exist.
 * @throws NotFound
 */
export function authorizeReportRecord(scope: ReportScope, report: { reporter_account_id: string | null }): void {
  if (!scope.all && report.reporter_account_id !== scope.reporterAccountId) throw new NotFound();
}
