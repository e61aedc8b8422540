/**
 * The layer rule (docs/ARCHITECTURE.md): src/platform/ is shared machinery and knows no
 * capability. It reaches capabilities only through the plugin contract
 * (platform/http/plugin.ts) and interface merging, never by an import, types included.
 * Exempt: the test harness (platform/testing/) and platform's own tests, which drive the
 * whole app. main/ is the composition root that imports every capability, so platform
 * may not import it either.
 */
module.exports = {
  forbidden: [
    {
      name: 'platform-imports-no-capability',
      severity: 'error',
      comment: 'src/platform/ may not import a capability (or main/, which imports them all). Give platform a contract in platform/http/plugin.ts, or merge an interface from the capability.',
      from: { path: '^src/platform/', pathNot: ['^src/platform/testing/', '\\.test\\.ts$'] },
      to: { path: '^src/(?!platform/)' },
    },
    {
      name: 'no-unresolvable-import',
      severity: 'error',
      comment: 'Every relative import of our TypeScript resolves to a file, so the layer rule sees every edge.',
      from: { path: '^src/.*\\.ts$' },
      to: { couldNotResolve: true, path: '^\\.' },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^node_modules/' },
  },
};
