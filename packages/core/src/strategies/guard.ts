import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Strategy, StrategyKind } from '../rules/types.js';
import type { EngineEvents } from '../events.js';
import type { Store } from '../store/store.js';
import type { SystemMetrics } from './system-metrics.js';

/** How an admitted request ended; reported once per request by the adapter. */
export type Outcome =
  | { readonly type: 'finished'; readonly statusCode: number }
  | { readonly type: 'failed'; readonly error: unknown; readonly statusCode?: number }
  | { readonly type: 'abandoned' };

/** What a guard hands out when it admits a request. Often the guard itself. */
export interface Ticket {
  /** Whether `exit` must be called (permits, breaker statistics). Rate limits say no. */
  readonly tracksOutcome: boolean;
  /** The admitted request ended. Called at most once per admission. */
  exit(outcome: Outcome, enteredAt: number, now: number): void;
  /** A later check blocked the request: give back what `enter` took. */
  cancel(enteredAt: number, now: number): void;
}

/** A refusal: which strategy said no, and when trying again could succeed. */
export class Block {
  constructor(
    readonly kind: StrategyKind,
    /** Milliseconds until a retry may pass (rounded up to whole seconds in Retry-After). */
    readonly retryAfterMs: number,
  ) {}
}

export type GuardResult = Ticket | Block;

/**
 * The state of one (target, strategy) pair: its counters, queue, permits or breaker.
 * One implementation per strategy kind, each in its own file.
 */
export interface Guard {
  /** Check order (docs/rules.md): adaptive 0, breaker 1, rate limit 2, concurrency 3, throttling 4. */
  readonly order: number;
  /**
   * Decide for a request arriving at `now`. Returns a promise only when it must wait. A guard
   * that admits by returning itself must keep its `tracksOutcome` fixed: each route reads it
   * once, when the rules are compiled (`Route.ownTickets`).
   */
  enter(now: number): GuardResult | Promise<GuardResult>;
  /** The pair left the rules: release timers and anything held. */
  dispose(): void;
}

/** What a guard factory gets besides the strategy definition. */
export interface GuardContext {
  readonly clock: Clock;
  readonly store: Store;
  readonly logger: Logger;
  readonly events: EngineEvents;
  /** Stable identity of the (target, strategy) pair, usable as a store key. */
  readonly key: string;
  /** The target resource name as written in the rule. */
  readonly target: string;
  /** The engine's one metrics sampler (adaptive overload protection subscribes to it). */
  readonly metrics: SystemMetrics;
}

/** Builds the guard of one strategy kind. */
export type GuardFactory<S extends Strategy = Strategy> = (strategy: S, context: GuardContext) => Guard;

/** Check order (docs/rules.md). */
export const CHECK_ORDER: Readonly<Record<StrategyKind, number>> = {
  AdaptiveOverloadProtectionStrategy: 0,
  CircuitBreakerStrategy: 1,
  RateLimitStrategy: 2,
  ConcurrencyLimitStrategy: 3,
  ThrottlingStrategy: 4,
};
