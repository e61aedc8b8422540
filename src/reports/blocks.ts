/**
 * The one rule of when a block rule is in force: not lifted, and not expired at `now` (a
 * rule expiring exactly at `now` is no longer in force). The gateway's matcher, the pages
 * and the CLI ask `ruleInForce`; every query asks `inForceAt` (blocks.repo.ts), the same
 * rule in SQL.
 */

export interface RuleLifetime {
  /** ISO instant; null while the rule has not been lifted. */
  liftedAt: string | null;
  /** ISO instant; null: until lifted. */
  expiresAt: string | null;
}

/** Whether the rule is in force at `now` (an ISO instant, compared as stored). */
export function ruleInForce(rule: RuleLifetime, now: string): boolean {
  return rule.liftedAt === null && (rule.expiresAt === null || rule.expiresAt > now);
}
