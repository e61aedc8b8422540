/**
 * Named pipeline stages with a time limit and a failure policy (Haraka's hook runner, in
 * small). A stage that crashes or runs out of time never drops mail: the policy turns it
 * into a temporary failure (4xx) so the sender retries, or lets the pipeline carry on
 * without the stage's work. No business rules: the stages themselves belong to a capability.
 */

export interface StageSpec {
  name: string;
  /**
   * Time limit in milliseconds. An asynchronous stage is abandoned when it runs out; a
   * synchronous one cannot be interrupted, so one that ran longer fails when it returns.
   * 0: no limit.
   */
  timeoutMs: number;
  /** 'tempfail': answer 4xx for what the stage concerns; 'skip': carry on without the stage's work. */
  onFailure: 'tempfail' | 'skip';
}

/** Tells a stage's asynchronous work whether it still counts. */
export interface StageSignal {
  /** True once the stage ran out of time: late work must not report a result as if it counted. */
  readonly expired: boolean;
}

/** A stage as an object: its spec and its work on a context `C` (the message, or one copy of it). */
export interface Stage<C> extends StageSpec {
  run(c: C, signal: StageSignal): Promise<void> | void;
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
  /** Told of every failure (metrics, logs), whatever the policy. */
  onFailure?(spec: StageSpec, kind: 'timeout' | 'error', err: unknown): void;
  /** Called with the result of a stage that finished after its time limit (e.g. a late delivery). */
  onLate?(value: T): void;
}

/**
 * Runs `fn` under the stage's limit.
 * @returns the stage's value, or `fallback` when the stage failed and its policy is 'skip'
 * @throws StageFailed when the stage failed and its policy is 'tempfail'
 */
export async function runStage<T>(spec: StageSpec, fn: (signal: StageSignal) => Promise<T> | T, hooks: StageHooks<T> = {}, fallback?: T): Promise<T> {
  const fail = (kind: 'timeout' | 'error', err: unknown): T => {
    hooks.onFailure?.(spec, kind, err);
    if (spec.onFailure === 'skip') return fallback as T;
    throw new StageFailed(spec.name, kind, err);
  };
  const signal = { expired: false };
  const started = spec.timeoutMs > 0 ? performance.now() : 0;
  let pending: Promise<T> | T;
  try {
    pending = fn(signal);
  } catch (err) {
    return fail('error', err);
  }
  if (!(pending instanceof Promise)) {
    if (spec.timeoutMs > 0 && performance.now() - started > spec.timeoutMs) {
      signal.expired = true;
      return fail('timeout', new Error(`ran ${Math.round(performance.now() - started)} ms`));
    }
    return pending;
  }
  if (spec.timeoutMs <= 0) {
    try {
      return await pending;
    } catch (err) {
      return fail('error', err);
    }
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      signal.expired = true;
      reject(new Error('timeout'));
    }, spec.timeoutMs);
  });
  try {
    return await Promise.race([pending, timeout]);
  } catch (err) {
    if (signal.expired) {
      pending.then((v) => hooks.onLate?.(v), () => undefined);
      return fail('timeout', err);
    }
    return fail('error', err);
  } finally {
    clearTimeout(timer);
  }
}

/** What the owner of a stage list decides: which stages apply, and what a 'tempfail' failure answers. */
export interface StagePolicy<S> {
  /** False skips the stage for this context (nothing for it to do). */
  applies(stage: S): boolean;
  /** The stage failed and its policy is 'tempfail'. */
  failed(stage: S, err: StageFailed): void;
  hooks?: StageHooks<void>;
}

/**
 * Runs one stage on `c` under its limit and failure policy. Resolves when the stage is done,
 * skipped or failed (the policy has answered for it); never rejects for the stage's own errors.
 * @throws what `policy` itself throws
 */
export async function applyStage<C, S extends Stage<C>>(stage: S, c: C, policy: StagePolicy<S>): Promise<void> {
  if (!policy.applies(stage)) return;
  try {
    await runStage(stage, (signal) => stage.run(c, signal), policy.hooks);
  } catch (err) {
    if (!(err instanceof StageFailed)) throw err;
    policy.failed(stage, err);
  }
}
