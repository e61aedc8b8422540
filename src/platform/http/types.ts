import type { Actor } from '../context.js';
import type { Capabilities } from './plugin.js';

/**
 * The signed-in account as the layout needs it. The capability that owns accounts widens it
 * to its own account type by interface merging (`interface SignedInAccount extends Account {}`).
 */
export interface SignedInAccount {
  id: string;
  email: string;
  displayName: string;
  mustChangePassword: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The capability plugins' links, dashboard task sources and role labels (buildApp). */
    capabilities: Capabilities;
  }
  interface FastifyRequest {
    /** The signed-in or token-bearing actor, or null. */
    actor: Actor | null;
    /** The signed-in account (portal sessions only). */
    account: SignedInAccount | null;
    sessionId: string | null;
    /** The session's stage: 'mfa' and 'enrol' sessions reach only routes that allow them. */
    sessionStage: 'mfa' | 'enrol' | 'full' | null;
    /** The long-lived device cookie's value (sign-in history's device id). */
    deviceId: string | null;
  }
  interface FastifyContextConfig {
    /** How the route authenticates: portal session (default), API bearer token, or none. */
    auth?: 'session' | 'token' | 'none';
    /** Lets a signed-in account that must change its password reach this route. */
    allowPasswordChangePending?: boolean;
    /** Session stages besides 'full' that may reach this route. */
    stages?: ReadonlyArray<'mfa' | 'enrol'>;
  }
}
