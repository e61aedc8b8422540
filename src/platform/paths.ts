import path from 'node:path';

/** The package root, whether running from src/ (tsx) or dist/ (compiled). */
export const packageRoot = path.resolve(import.meta.dirname, '..', '..');

/** Nunjucks search paths: our layout, capability views under src/, then nhsuk-frontend's macros. */
export const viewPaths = [
  path.join(packageRoot, 'src', 'platform', 'http', 'views'),
  path.join(packageRoot, 'src'),
  path.join(packageRoot, 'node_modules', 'nhsuk-frontend', 'dist'),
];

export const publicAssetsDir = path.join(packageRoot, 'dist', 'public');
