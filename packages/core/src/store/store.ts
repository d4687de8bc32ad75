import type { ConcurrencyLimitStrategy, RateLimitStrategy } from '../rules/types.js';
import type { Guard, GuardContext } from '../strategies/guard.js';

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
  /** Stop timers, connections and heartbeats. */
  close(): Promise<void>;
}
