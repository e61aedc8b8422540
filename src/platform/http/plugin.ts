import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Clock } from '../clock.js';
import type { Config } from '../config/config.js';
import type { Actor, Ctx } from '../context.js';
import type { Db } from '../db/db.js';
import type { SignedInAccount } from './types.js';

/** What a capability's routes and API are given. */
export interface RouteDeps {
  config: Config;
  db: Db;
  clock: Clock;
}

/** A link to one of a capability's pages; `visible` is the capability's own policy. */
export interface NavEntry {
  href: string;
  text: string;
  /** Where it sits among every capability's links (lower first). */
  order: number;
  /**
   * Also in the header (else only on the dashboard). Keep the header to at most seven links
   * for every role (main/plugins.test.ts pins each role's).
   */
  header?: boolean;
  visible(actor: Actor): boolean;
}

/** Something waiting for the person on the dashboard, linking to where it is done. */
export interface DashboardTask {
  href: string;
  text: string;
  urgent?: boolean;
}

/** A capability's dashboard tasks for the actor of `ctx` (none when their policy gives them none). */
export type TaskSource = (db: Db, ctx: Ctx, config: Config) => Promise<DashboardTask[]>;

/**
 * One capability as the app sees it. `buildApp` registers `routes` on the portal and `api`
 * under /api/v1, and offers `nav` and `tasks` to the layout and the dashboard. Platform code
 * knows capabilities only through this contract.
 */
export interface CapabilityPlugin {
  name: string;
  routes?(app: FastifyInstance, deps: RouteDeps): void;
  api?(api: FastifyInstance, deps: RouteDeps): void;
  nav?: readonly NavEntry[];
  tasks?: TaskSource;
  /** The capability that owns sessions and API tokens provides the auth hook's lookups (exactly one plugin). */
  authenticator?(deps: RouteDeps): Authenticator;
  /** How the layout names the roles this capability defines (role → label). */
  roleLabels?: Readonly<Record<string, string>>;
}

/** A portal session as the auth hook sees it. */
export interface AuthenticatedSession {
  sessionId: string;
  stage: 'mfa' | 'enrol' | 'full';
  /** Set when the session was renewed under a new id while being resolved: send this cookie value. */
  renewedToken: string | null;
  account: SignedInAccount;
  actor: Actor;
}

/** What the auth hook (auth.ts) asks of sessions and API tokens. */
export interface Authenticator {
  /** The session cookie's and the long-lived device cookie's names. */
  sessionCookie: string;
  deviceCookie: string;
  /** The live session for a cookie value, or null. */
  session(cookie: string, now: Date): Promise<AuthenticatedSession | null>;
  /** The actor of a bearer token, or null. */
  bearer(token: string, now: Date): Promise<Actor | null>;
  /** Sends a renewed session's cookie. */
  setSessionCookie(reply: FastifyReply, token: string): void;
}

/** What buildApp offers every request (`req.server`): the plugins' links, task sources and role labels. */
export interface Capabilities {
  /** Every plugin's links, in `order`. */
  nav: readonly NavEntry[];
  /** Every plugin's task source, in the order of the plugin list. */
  tasks: readonly TaskSource[];
  roleLabels: Readonly<Record<string, string>>;
}

/** Collects the plugins' contributions for the layout and the dashboard. */
export function capabilitiesOf(plugins: readonly CapabilityPlugin[]): Capabilities {
  const names = new Set<string>();
  for (const p of plugins) {
    if (names.has(p.name)) throw new Error(`Two capability plugins are named ${p.name}`);
    names.add(p.name);
  }
  return {
    nav: plugins.flatMap((p) => p.nav ?? []).sort((a, b) => a.order - b.order),
    tasks: plugins.flatMap((p) => (p.tasks ? [p.tasks] : [])),
    roleLabels: Object.assign({}, ...plugins.map((p) => p.roleLabels ?? {})),
  };
}

/** The one plugin's authenticator. @throws Error unless exactly one plugin provides one */
export function authenticatorOf(plugins: readonly CapabilityPlugin[], deps: RouteDeps): Authenticator {
  const providers = plugins.filter((p) => p.authenticator);
  if (providers.length !== 1) throw new Error(`Exactly one capability plugin must provide the authenticator (found ${providers.length})`);
  return providers[0]!.authenticator!(deps);
}
