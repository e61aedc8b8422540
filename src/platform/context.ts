/**
 * The names of roles, as keys. Empty here: the capability that defines roles adds them by
 * interface merging (`declare module '../platform/context.js' { interface RoleNames … }`),
 * so `g.role === 'platform-admin'` stays type-checked without platform importing it.
 */
export interface RoleNames {}
export type RoleName = keyof RoleNames;

/** A role held by an account. `scope` is an organisation id for local-admin, '*' otherwise. */
export interface RoleGrant {
  role: RoleName;
  scope: string;
}

/** Who is acting. Built from a session, an API token, or the CLI. */
export interface Actor {
  accountId: string;
  email: string;
  organisationId: string;
  roles: readonly RoleGrant[];
}

/** Everything a command needs to know about the request that caused it. */
export interface Ctx {
  /** null for the CLI and system jobs: they act as the operator of the machine. */
  actor: Actor | null;
  via: 'web' | 'api' | 'cli' | 'system';
  ip: string | null;
  requestId: string | null;
  now: Date;
}

/** A context for CLI commands: the operator at the terminal. */
export function cliContext(now: Date): Ctx {
  return { actor: null, via: 'cli', ip: null, requestId: null, now };
}
