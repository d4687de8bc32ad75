import type { Strategy, StrategyKind } from '../rules/types.js';
import type { GuardFactory } from './guard.js';
import { createAdaptiveOverloadGuard } from './adaptive-overload.js';
import { createCircuitBreakerGuard } from './circuit-breaker.js';
import { createConcurrencyLimitGuard } from './concurrency-limit.js';
import { createRateLimitGuard } from './rate-limit.js';
import { createThrottlingGuard } from './throttling.js';
import { perClient } from './per-client.js';

/**
 * One factory per strategy kind. A new strategy is a new file plus one line here; the engine
 * never switches on kinds. The three limits that can hold per client (`limitBy`) are wrapped by
 * `perClient`, with what a `limitByOverrides` entry changes in each.
 */
export const GUARD_FACTORIES: Partial<{ readonly [K in StrategyKind]: GuardFactory<Extract<Strategy, { kind: K }>> }> = {
  RateLimitStrategy: perClient(createRateLimitGuard, (s, o) => ({ ...s, threshold: o.threshold ?? s.threshold })),
  ConcurrencyLimitStrategy: perClient(createConcurrencyLimitGuard, (s, o) => ({ ...s, maxConcurrency: o.threshold ?? s.maxConcurrency })),
  ThrottlingStrategy: perClient(createThrottlingGuard, (s, o) => ({ ...s, minIntervalMs: o.minIntervalMs ?? s.minIntervalMs })),
  CircuitBreakerStrategy: createCircuitBreakerGuard,
  AdaptiveOverloadProtectionStrategy: createAdaptiveOverloadGuard,
};
