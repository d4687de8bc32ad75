import type { Store } from './store.js';
import { createLocalRateLimitGuard } from '../strategies/rate-limit.js';
import { createLocalConcurrencyGuard } from '../strategies/concurrency-limit.js';

/**
 * The default store: everything in this process. `Global` limits are enforced per process.
 *
 * @example
 * ```ts
 * import { createEngine, createMemoryStore } from '@opensergo/core';
 * const engine = createEngine({ rulesFile: './opensergo.yaml', store: createMemoryStore() });
 * ```
 */
export function createMemoryStore(): Store {
  return {
    name: 'memory',
    shared: false,
    globalRateLimit: (strategy, context) => createLocalRateLimitGuard(strategy, context, () => strategy.threshold),
    globalConcurrencyLimit: (strategy, context) => createLocalConcurrencyGuard(strategy, context),
    instanceCount: () => 1,
    close: async () => {},
  };
}
