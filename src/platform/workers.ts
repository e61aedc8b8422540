import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread on a module beside the caller. Compiled, that is a `.js` file;
 * under tsx (tests, benchmarks) it is a `.ts` file, which a worker cannot load through
 * `--import tsx` on Node 20, so a two-line bootstrap registers tsx's loader in the worker
 * first. @param moduleUrl the module's URL (`new URL('./x.js', import.meta.url)` with the
 * caller's own extension: see `besideMe`)
 */
export function startModuleWorker(moduleUrl: URL, options: WorkerOptions = {}): Worker {
  if (!moduleUrl.pathname.endsWith('.ts')) return new Worker(moduleUrl, options);
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(moduleUrl.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}

/** The URL of module `name` (no extension) beside `callerUrl`, with the caller's extension (.ts or .js). */
export function besideMe(callerUrl: string, name: string): URL {
  return new URL(`./${name}${callerUrl.endsWith('.ts') ? '.ts' : '.js'}`, callerUrl);
}
