import type { Decision, RequestContext } from '../engine.js';
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
}

const SUCCEEDED: Outcome = Object.freeze({ type: 'finished', statusCode: 200 });
const failed = (error: unknown): Outcome => ({ type: 'failed', error });

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
export function callDirect<T>(fn: () => T): Promise<Awaited<T>> {
  try {
    return Promise.resolve(fn()) as Promise<Awaited<T>>;
  } catch (error) {
    return Promise.reject(error);
  }
}

function refuse<T, F>(decision: Decision & { type: 'block' }, options: GuardOptions<F> | undefined): Promise<Awaited<T> | Awaited<F>> {
  const { context, kind, rule, response } = decision;
  const blocked: Blocked = { resource: context.resource, kind, rule, response, context };
  const fallback = options?.fallback;
  if (fallback === undefined) return Promise.reject(blockedError(blocked));
  return callDirect(() => fallback(blocked)) as Promise<Awaited<F>>;
}

function settle<T, F>(decision: Decision, fn: () => T, options: GuardOptions<F> | undefined): Promise<Awaited<T> | Awaited<F>> {
  if (decision.type === 'block') return refuse<T, F>(decision, options);
  const entry = decision.entry;
  if (entry === undefined) return callDirect(fn);
  let result: T;
  let pending: Promise<unknown> | undefined;
  try {
    result = fn();
    // Inside the try: reading `then` can throw too (a getter, a revoked Proxy).
    if (isThenable(result)) pending = result instanceof Promise ? result : Promise.resolve(result);
  } catch (error) {
    entry.exit(failed(error));
    return Promise.reject(error);
  }
  if (pending === undefined) {
    entry.exit(SUCCEEDED);
    return Promise.resolve(result as Awaited<T>);
  }
  return pending.then(
    (value) => {
      entry.exit(SUCCEEDED);
      return value as Awaited<T>;
    },
    (error: unknown) => {
      entry.exit(failed(error));
      throw error;
    },
  );
}

/**
 * Runs `fn` under `decision`: on pass, calls it and reports how it ended (a throw or a rejection
 * is a failure; its duration counts for slow-call ratios) exactly once; on block, rejects with
 * `ERR_OPENSERGO_BLOCKED` or resolves to the fallback's value.
 *
 * @example
 * ```ts
 * return runGuarded(decider.check(view, route, 0, now, context, undefined), fn, options);
 * ```
 */
export function runGuarded<T, F>(
  decision: Decision | Promise<Decision>,
  fn: () => T,
  options: GuardOptions<F> | undefined,
): Promise<Awaited<T> | Awaited<F>> {
  if (decision instanceof Promise) return decision.then((decided) => settle(decided, fn, options));
  return settle(decision, fn, options);
}
