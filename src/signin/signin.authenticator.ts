import type { Authenticator, RouteDeps } from '../platform/http/plugin.js';
import { setSessionCookie } from './session.cookie.js';
import { resolveSession } from './signin.commands.js';
import { DEVICE_COOKIE, SESSION_COOKIE } from './signin.js';
import { resolveApiToken } from './tokens.commands.js';

/** The auth hook's lookups: portal sessions by cookie and API tokens by bearer value. */
export function signinAuthenticator({ config, db }: RouteDeps): Authenticator {
  const policy = { idleMinutes: config.sessionIdleMinutes, absoluteHours: config.sessionAbsoluteHours };
  return {
    sessionCookie: SESSION_COOKIE,
    deviceCookie: DEVICE_COOKIE,
    session: (cookie, now) => resolveSession(db, cookie, now, policy),
    bearer: (token, now) => resolveApiToken(db, token, now),
    setSessionCookie: (reply, token) => setSessionCookie(reply, config, token),
  };
}
