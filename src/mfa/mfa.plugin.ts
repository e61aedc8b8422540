import type { CapabilityPlugin } from '../platform/http/plugin.js';
import { registerCoverageApi } from './coverage.api.js';
import { canViewCoverage } from './coverage.policy.js';
import { registerCoverageRoutes } from './coverage.routes.js';
import { registerMfaRoutes } from './mfa.routes.js';
import { registerWebauthnRoutes } from './webauthn.routes.js';

/** Second factors (TOTP, WebAuthn, recovery codes), the account's security page, LA coverage. */
export const mfaPlugin: CapabilityPlugin = {
  name: 'mfa',
  routes(app, deps) {
    registerMfaRoutes(app, deps);
    registerWebauthnRoutes(app, deps);
    registerCoverageRoutes(app, deps);
  },
  api(api, deps) {
    registerCoverageApi(api, deps);
  },
  nav: [
    { href: '/mfa/coverage', text: 'MFA coverage', order: 30, header: true, visible: canViewCoverage },
    { href: '/security', text: 'Security', order: 160, header: true, visible: () => true },
  ],
};
