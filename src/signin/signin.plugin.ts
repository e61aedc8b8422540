import type { CapabilityPlugin } from '../platform/http/plugin.js';
import { registerSessionRoutes } from './sessions.routes.js';
import { signinAuthenticator } from './signin.authenticator.js';
import { registerSigninRoutes } from './signin.routes.js';

/** Sign-in, sign-out, password change and the account's sessions; it resolves every request's session or token. */
export const signinPlugin: CapabilityPlugin = {
  name: 'signin',
  routes(app, deps) {
    registerSigninRoutes(app, deps);
    registerSessionRoutes(app, deps);
  },
  authenticator: signinAuthenticator,
};
