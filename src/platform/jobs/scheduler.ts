import type { Logger } from '../log/log.js';

/**
 * Runs background work every few seconds or hours inside `serve`: never two runs of one
 * job at once on a node, errors logged (never thrown: a failing job must not stop the
 * server), and stop() waits for the run in progress.
 */

export interface RepeatingJob {
  /** Stops scheduling and resolves when the run in progress (if any) has finished. */
  stop(): Promise<void>;
  /** Runs it now (after the current run, if one is in progress). For tests and `kick` after a change. */
  runNow(): Promise<void>;
}

export interface JobSpec {
  name: string;
  intervalMs: number;
  /** Delay of the first run (default: one interval; 0 runs at once). */
  firstRunMs?: number;
  run: () => Promise<unknown>;
  logger: Logger;
}

/** Starts a job that runs `run` every `intervalMs` (measured from the end of the previous run). */
export function startRepeating(spec: JobSpec): RepeatingJob {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let current: Promise<void> = Promise.resolve();
  const once = async (): Promise<void> => {
    try {
      await spec.run();
    } catch (err) {
      spec.logger.error({ err, job: spec.name }, 'background job failed; it runs again at its next interval');
    }
  };
  const schedule = (ms: number): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      current = current.then(once).finally(() => schedule(spec.intervalMs));
    }, ms);
    timer.unref?.();
  };
  schedule(spec.firstRunMs ?? spec.intervalMs);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
    async runNow() {
      current = current.then(once);
      await current;
    },
  };
}
