/**
 * Named pipeline stages with a time limit and a failure policy (Haraka's hook runner, in
 * small). A stage that crashes or runs out of time never drops mail: the policy turns it
 * into a temporary failure (4xx) so the sender retries.
 */

export interface StageSpec {
  name: string;
  /** 0 for synchronous stages (no timer is armed). */
  timeoutMs: number;
  /** 'tempfail': answer 451 for the message; 'skip': carry on without the stage's result. */
  onFailure: 'tempfail' | 'skip';
}

/** A stage failed; the SMTP edge answers `code` (4xx) with `text`. */
export class StageFailed extends Error {
  readonly code = 451;
  constructor(readonly stage: string, readonly kind: 'timeout' | 'error', readonly original?: unknown) {
    super(kind === 'timeout' ? `stage ${stage} timed out` : `stage ${stage} failed`);
    this.name = 'StageFailed';
  }
}

export interface StageHooks<T> {
  /** Told of every failure (metrics, logs). */
  onFailure?(spec: StageSpec, kind: 'timeout' | 'error', err: unknown): void;
  /** Called with the result of a stage that finished after its time limit (e.g. a late delivery). */
  onLate?(value: T): void;
}

/**
 * Runs `fn` under the stage's limit.
 * @returns the stage's value, or `fallback` when the stage failed and its policy is 'skip'
 * @throws StageFailed when the stage failed and its policy is 'tempfail'
 */
export async function runStage<T>(spec: StageSpec, fn: () => Promise<T> | T, hooks: StageHooks<T> = {}, fallback?: T): Promise<T> {
  const fail = (kind: 'timeout' | 'error', err: unknown): T => {
    hooks.onFailure?.(spec, kind, err);
    if (spec.onFailure === 'skip') return fallback as T;
    throw new StageFailed(spec.name, kind, err);
  };
  let pending: Promise<T> | T;
  try {
    pending = fn();
  } catch (err) {
    return fail('error', err);
  }
  if (!(pending instanceof Promise)) return pending;
  if (spec.timeoutMs <= 0) {
    try {
      return await pending;
    } catch (err) {
      return fail('error', err);
    }
  }
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new Error('timeout'));
    }, spec.timeoutMs);
  });
  try {
    return await Promise.race([pending, timeout]);
  } catch (err) {
    if (timedOut) {
      pending.then((v) => hooks.onLate?.(v), () => undefined);
      return fail('timeout', err);
    }
    return fail('error', err);
  } finally {
    clearTimeout(timer);
  }
}
