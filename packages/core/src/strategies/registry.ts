import type { Strategy, StrategyKind } from '../rules/types.js';
import type { GuardFactory } from './guard.js';
import { createConcurrencyLimitGuard } from './concurrency-limit.js';
import { createRateLimitGuard } from './rate-limit.js';

/**
 * One factory per strategy kind. A new strategy is a new file plus one line here; the engine
 * never switches on kinds.
 */
export const GUARD_FACTORIES: Partial<{ readonly [K in StrategyKind]: GuardFactory<Extract<Strategy, { kind: K }>> }> = {
  RateLimitStrategy: createRateLimitGuard,
  ConcurrencyLimitStrategy: createConcurrencyLimitGuard,
};
