import type { Decision, Entry, RequestContext } from '../engine.js';
import type { Route } from '../matching/resource-index.js';
import type { Outcome } from '../strategies/guard.js';
import { blockedError, type Blocked } from './blocked-error.js';

/** Options of `guard` and `engine.guard`. */
export interface GuardOptions<F = never> {
  /**
   * Turns a refusal into a value: called with what refused (kind, rule, fallback response)
   * instead of rejecting with `ERR_OPENSERGO_BLOCKED`. What it returns (or resolves to) is
   * what the guard resolves to.
   */
  readonly fallback?: (blocked: Blocked) => F | PromiseLike<F>;
  /**
   * Cancels the guard: when it aborts, the guard rejects at once with its reason (before `fn`
   * runs, `fn` is not called). `fn` is called with it, to stop its own work; what `fn` holds
   * (a concurrency permit) is released when `fn` settles, never earlier. A call that was
   * running when it aborted counts, once `fn` settles, as a failure for circuit breakers when
   * the reason is a `TimeoutError` (`AbortSignal.timeout(ms)`), else as abandoned (neither).
   */
  readonly signal?: AbortSignal;
}

/** What `guard` runs: called with the guard's signal, when one was given. */
export type Guarded<T> = (signal?: AbortSignal) => T;

const SUCCEEDED: Outcome = Object.freeze({ type: 'finished', statusCode: 200 });
const ABANDONED: Outcome = Object.freeze({ type: 'abandoned' });
const failed = (error: unknown): Outcome => ({ type: 'failed', error });

/**
 * How a call that `signal` aborted while it ran ended: a timeout is the callee's slowness (a
 * failure), any other reason the caller's decision (abandoned).
 */
const aborted = (signal: AbortSignal): Outcome =>
  (signal.reason as { name?: unknown } | null | undefined)?.name === 'TimeoutError' ? failed(signal.reason) : ABANDONED;

/** Reports how `fn` ended, unless `signal` aborted while it ran: that decides. */
function exit(entry: Entry, outcome: Outcome, signal: AbortSignal | undefined): void {
  entry.exit(signal?.aborted === true ? aborted(signal) : outcome);
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

/**
 * The context a guard is decided in: the route's resource with the traffic labels of the
 * request it runs in (`outer`), so that labels reach events and fallbacks.
 */
export function contextOn(route: Route, outer: RequestContext | undefined): RequestContext {
  if (outer === undefined || outer.trafficLabels.length === 0) return route.unlabelled;
  return { resource: route.resource, trafficLabel: outer.trafficLabel, trafficLabels: outer.trafficLabels };
}

/** Calls `fn` outside any rule, with the guard's promise semantics. */
function callDirect<T>(fn: () => T): Promise<Awaited<T>> {
  try {
    return Promise.resolve(fn()) as Promise<Awaited<T>>;
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Calls `fn` with `signal`, or with nothing when there is none (as before signals). */
const invoke = <T>(fn: Guarded<T>, signal: AbortSignal | undefined): T => (signal === undefined ? fn() : fn(signal));

/**
 * `promise`, or a rejection with `signal`'s reason as soon as it aborts. `promise` goes on, and
 * what it settles to later is handled here (no unhandled rejection).
 *
 * @example
 * ```ts
 * return abortable(callDirect(() => fn(signal)), signal);
 * ```
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => reject(signal.reason);
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(error);
      },
    );
  });
}

/** Calls `fn` outside any rule, its signal given and heeded. */
export const callUnguarded = <T>(fn: Guarded<T>, signal: AbortSignal | undefined): Promise<Awaited<T>> =>
  abortable(callDirect(() => invoke(fn, signal)), signal);

function refuse<T, F>(decision: Decision & { type: 'block' }, options: GuardOptions<F> | undefined): Promise<Awaited<T> | Awaited<F>> {
  const { context, kind, rule, response } = decision;
  const blocked: Blocked = { resource: context.resource, kind, rule, response, context };
  const fallback = options?.fallback;
  if (fallback === undefined) return Promise.reject(blockedError(blocked));
  return callDirect(() => fallback(blocked)) as Promise<Awaited<F>>;
}

function settle<T, F>(decision: Decision, fn: Guarded<T>, options: GuardOptions<F> | undefined): Promise<Awaited<T> | Awaited<F>> {
  if (decision.type === 'block') return refuse<T, F>(decision, options);
  const entry = decision.entry;
  const signal = options?.signal;
  if (signal?.aborted === true) {
    // Aborted while it waited its turn: admitted now, it ends at once without running.
    entry?.exit(ABANDONED);
    return Promise.reject(signal.reason);
  }
  if (entry === undefined) return callDirect(() => invoke(fn, signal));
  let result: T;
  let pending: Promise<unknown> | undefined;
  try {
    result = invoke(fn, signal);
    // Inside the try: reading `then` can throw too (a getter, a revoked Proxy).
    if (isThenable(result)) pending = result instanceof Promise ? result : Promise.resolve(result);
  } catch (error) {
    exit(entry, failed(error), signal);
    return Promise.reject(error);
  }
  if (pending === undefined) {
    exit(entry, SUCCEEDED, signal);
    return Promise.resolve(result as Awaited<T>);
  }
  return pending.then(
    (value) => {
      exit(entry, SUCCEEDED, signal);
      return value as Awaited<T>;
    },
    (error: unknown) => {
      exit(entry, failed(error), signal);
      throw error;
    },
  );
}

/**
 * Runs `fn` under `decision`: on pass, calls it and reports how it ended (a throw or a rejection
 * is a failure; its duration counts for slow-call ratios) exactly once; on block, rejects with
 * `ERR_OPENSERGO_BLOCKED` or resolves to the fallback's value. With `options.signal`, rejects
 * with its reason as soon as it aborts; the entry is still exited only when `fn` settles.
 *
 * @example
 * ```ts
 * return runGuarded(decider.check(view, route, 0, now, context, undefined), fn, options);
 * ```
 */
export function runGuarded<T, F>(
  decision: Decision | Promise<Decision>,
  fn: Guarded<T>,
  options: GuardOptions<F> | undefined,
): Promise<Awaited<T> | Awaited<F>> {
  const run = decision instanceof Promise ? decision.then((decided) => settle(decided, fn, options)) : settle(decision, fn, options);
  return abortable(run, options?.signal);
}
