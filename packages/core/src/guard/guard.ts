import type { Engine } from '../engine.js';
import { OpenSergoError } from '../errors.js';
import type { GuardOptions, Guarded } from './run-guarded.js';

/** Engines not yet closed, oldest first (weakly: an engine dropped unclosed is not kept alive). */
let open: WeakRef<Engine>[] = [];

/** @internal An engine was created (the middleware's, or `createEngine`'s). */
export function engineOpened(engine: Engine): void {
  if (open.length >= 64) open = open.filter((ref) => ref.deref() !== undefined);
  open.push(new WeakRef(engine));
}

/** @internal An engine was closed. */
export function engineClosed(engine: Engine): void {
  open = open.filter((ref) => ref.deref() !== engine && ref.deref() !== undefined);
}

/** The process's first engine not closed, if any. */
function firstOpen(): Engine | undefined {
  for (const ref of open) {
    const engine = ref.deref();
    if (engine !== undefined) return engine;
  }
  return undefined;
}

/** Options of the top-level `guard`: those of `engine.guard`, and which engine's rules apply. */
export interface GuardCallOptions<F = never> extends GuardOptions<F> {
  /** Default: the process's first engine not closed (usually the one the middleware made). */
  readonly engine?: Engine;
}

/**
 * Runs `fn` under the rules whose targets name `resource` (rate limit, throttling, concurrency,
 * circuit breaker, adaptive overload; see docs/outgoing.md), and resolves to what it returns, or
 * rejects with what it throws. A refusal rejects with `ERR_OPENSERGO_BLOCKED` (carrying `kind`,
 * `rule` and the fallback `response`), or resolves to `options.fallback`'s value. A throw or a
 * rejection counts as a failure for circuit breakers; its duration counts for slow-call ratios.
 * A resource no rule names is simply called. Inside a governed request, `fn` runs in that
 * request's context (its labels go on with the calls `fn` makes). With `options.signal`, the
 * guard rejects with its reason when it aborts, and `fn` is called with it (`fn(signal)`) to
 * stop its own work; a `TimeoutError` reason counts as a failure for circuit breakers.
 *
 * @example
 * ```ts
 * import { guard } from '@opensergo/core';
 * const rows = await guard('db:orders.select', () => pool.query('select …'), {
 *   fallback: () => [], // when refused
 * });
 * const report = await guard('vendor:report', (signal) => fetch(reportUrl, { signal }), { signal: AbortSignal.timeout(3000) });
 * ```
 */
export function guard<T, F = never>(resource: string, fn: Guarded<T>, options?: GuardCallOptions<F>): Promise<Awaited<T> | Awaited<F>> {
  const engine = options?.engine ?? firstOpen();
  if (engine === undefined) {
    return Promise.reject(
      new OpenSergoError(
        'ERR_OPENSERGO_OPTIONS_INVALID',
        `guard("${resource}") has no engine: create one first (the middleware does, or createEngine), or pass { engine }`,
      ),
    );
  }
  return engine.guard(resource, fn, options);
}
