import type { RequestContext } from '../engine.js';
import type { RequestView } from '../request-view.js';
import type { LimitByOverride, PerClient, Strategy } from '../rules/types.js';
import {
  Block,
  CHECK_ORDER,
  type Guard,
  type GuardContext,
  type GuardFactory,
  type GuardResult,
  type GuardState,
  type Quota,
} from './guard.js';
import { RecentValues, valueReader, type ValueReader } from './limit-by.js';

type PerClientStrategy = Strategy & PerClient;

/** The strategy a named value is held to: the rule's, with its override's threshold or interval. */
export type Override<S> = (strategy: S, override: LimitByOverride) => S;

const isPromise = (value: unknown): value is Promise<GuardResult> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

/**
 * Makes a strategy's factory honour `limitBy` (docs/per-client.md): without it, the factory's
 * guard as before; with it, a guard holding one guard of that factory per distinct value, each
 * the same exact window, queue or permit count as the whole-target guard, created on first
 * sight and forgotten least-recently-seen first beyond `maxTrackedValues`.
 *
 * @example
 * ```ts
 * const createRateLimit = perClient(createRateLimitGuard, (s, o) => ({ ...s, threshold: o.threshold ?? s.threshold }));
 * ```
 */
export function perClient<S extends PerClientStrategy>(factory: GuardFactory<S>, override: Override<S>): GuardFactory<S> {
  return (strategy, context) => (strategy.limitBy === undefined ? factory(strategy, context) : new PerClientGuard(strategy, context, factory, override));
}

class PerClientGuard<S extends PerClientStrategy> implements Guard {
  readonly order: number;
  private readonly read: ValueReader;
  private readonly values: RecentValues<Guard>;
  /** The strategy of each overridden value (clientIp values grouped as requests' addresses are). */
  private readonly overrides = new Map<string, S>();

  constructor(
    private readonly strategy: S,
    context: GuardContext,
    factory: GuardFactory<S>,
    override: Override<S>,
  ) {
    this.order = CHECK_ORDER[strategy.kind];
    const limitBy = strategy.limitBy!;
    this.read = valueReader(limitBy, context.clientAddress);
    const written = new Map<string, string>();
    for (const o of strategy.limitByOverrides) {
      const value = limitBy.type === 'clientIp' ? context.clientAddress.key(o.value) : o.value;
      const first = written.get(value);
      if (first !== undefined) {
        // Two IPv6 addresses in one network under the engine's ipv6Subnet: the loader cannot tell.
        context.logger.warn(
          `${strategy.kind}/${strategy.name}: limitByOverrides "${first}" and "${o.value}" are one client, ${value} (ipv6Subnet ${value.slice(value.lastIndexOf('/') + 1)}); the first holds, "${o.value}" is ignored`,
        );
        continue;
      }
      written.set(value, o.value);
      this.overrides.set(value, Object.freeze(override(strategy, o)));
    }
    // A Global limit's guard per value has its own store key, `<the pair's key>?<value>` (a
    // target is a path: no `?` comes before the value's), so it is kept per value there too.
    // A forgotten one is disposed, so that the store lets go of it once it holds nothing. A
    // local guard is simply dropped: what it still holds (a permit, a queued request) runs its
    // course, and nothing else refers to it.
    const shared = 'limitMode' in strategy && strategy.limitMode === 'Global';
    this.values = new RecentValues(
      strategy.maxTrackedValues,
      (value) => factory(this.overrides.get(value) ?? strategy, shared ? { ...context, key: `${context.key}?${value}` } : context),
      shared ? (guard) => guard.dispose() : undefined,
    );
  }

  enter(now: number, request: RequestView, context: RequestContext): GuardResult | Promise<GuardResult> {
    const value = this.read(request, context);
    const result = this.values.touch(value).enter(now, request, context);
    if (result instanceof Block) return new Block(result.kind, result.retryAfterMs, value);
    if (isPromise(result)) return result.then((r) => (r instanceof Block ? new Block(r.kind, r.retryAfterMs, value) : r));
    return result;
  }

  quota(now: number, request: RequestView, context: RequestContext): Quota | undefined {
    const value = this.read(request, context);
    const quota = this.values.peek(value)?.quota?.(now, request, context);
    return quota === undefined ? undefined : { ...quota, partitionKey: value };
  }

  /** Summed over the values remembered (read for metrics, never per request). */
  inspect(): GuardState {
    let queued = 0;
    let permits = 0;
    for (const guard of this.values.states()) {
      const state = guard.inspect?.();
      queued += state?.queued ?? 0;
      permits += state?.permits ?? 0;
    }
    const trackedValues = this.values.size;
    switch (this.strategy.kind) {
      case 'ThrottlingStrategy':
        return { queued, trackedValues };
      case 'ConcurrencyLimitStrategy':
        return { permits, trackedValues };
      default:
        return { trackedValues };
    }
  }

  dispose(): void {
    for (const guard of this.values.states()) guard.dispose();
    this.values.clear();
  }
}
