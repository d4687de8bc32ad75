import type { Strategy, StrategyKind } from '../rules/types.js';
import type { GuardFactory } from './guard.js';
import { createAdaptiveOverloadGuard } from './adaptive-overload.js';
import { createCircuitBreakerGuard } from './circuit-breaker.js';
import { createConcurrencyLimitGuard } from './concurrency-limit.js';
import { createRateLimitGuard } from './rate-limit.js';
import { createThrottlingGuard } from './throttling.js';

/**
 * One factory per strategy kind. A new strategy is a new file plus one line here; the engine
 * never switches on kinds.
 */
export const GUARD_FACTORIES: Partial<{ readonly [K in StrategyKind]: GuardFactory<Extract<Strategy, { kind: K }>> }> = {
  RateLimitStrategy: createRateLimitGuard,
  ConcurrencyLimitStrategy: createConcurrencyLimitGuard,
  ThrottlingStrategy: createThrottlingGuard,
  CircuitBreakerStrategy: createCircuitBreakerGuard,
  AdaptiveOverloadProtectionStrategy: createAdaptiveOverloadGuard,
};
