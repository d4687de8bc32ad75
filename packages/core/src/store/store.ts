import type { ConcurrencyLimitStrategy, RateLimitStrategy } from '../rules/types.js';
import type { Guard, GuardContext } from '../strategies/guard.js';
import type { EngineEvents } from '../events.js';
import type { Logger } from '../logger.js';
import type { WorkloadIdentity } from '../workload/workload.js';

/** What an engine tells the store it uses (see `Store.attach`). */
export interface StoreHost {
  /** The engine's app and namespace (docs/rules.md), e.g. to register this instance under. */
  readonly app: string | undefined;
  readonly namespace: string | undefined;
  /** Where to emit `store:state` and write transition lines. */
  readonly events: EngineEvents;
  readonly logger: Logger;
  /** This process's workload identity under the rules in force (it changes when they do). */
  workload(): WorkloadIdentity;
}

/**
 * Where `Global` limits keep their state. The default in-process store shares nothing, so
 * `Global` is enforced per process (with a start-up warning); a shared store such as
 * `@opensergo/redis` makes it cluster-wide.
 */
export interface Store {
  /** For log lines and events, e.g. `memory`, `redis`. */
  readonly name: string;
  /** Whether state is shared between processes (i.e. whether `Global` is really global). */
  readonly shared: boolean;
  /** A guard enforcing `threshold` across every instance (`limitMode: Global`). */
  globalRateLimit(strategy: RateLimitStrategy, context: GuardContext): Guard;
  /** A guard enforcing `maxConcurrency` across every instance (`limitMode: Global`). */
  globalConcurrencyLimit(strategy: ConcurrencyLimitStrategy, context: GuardContext): Guard;
  /** Live instances of this app, for `GlobalToLocal` (1 when nothing is shared). */
  instanceCount(): number;
  /**
   * Optional: called once by each engine using this store, before it creates any guard, so a
   * shared store knows the app/namespace to register under and where to report `store:state`
   * even when no `Global` guard exists (only `GlobalToLocal`). Returns a detach function that
   * the engine calls on close.
   */
  attach?(host: StoreHost): (() => void) | undefined;
  /** Stop timers, connections and heartbeats. */
  close(): Promise<void>;
}
