import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Strategy, StrategyKind } from '../rules/types.js';
import type { EngineEvents } from '../events.js';
import type { Store } from '../store/store.js';
import type { SystemMetrics } from './system-metrics.js';
import type { RequestView } from '../request-view.js';
import type { RequestContext } from '../engine.js';
import type { ClientAddress } from '../client/client-address.js';

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
    /** The value a per-client limit (`limitBy`) counted the request under. */
    readonly clientKey?: string,
  ) {}
}

export type GuardResult = Ticket | Block;

/** What a guard can tell about itself right now, for metrics and the dashboard. Read, never per request. */
export interface GuardState {
  readonly breaker?: 'closed' | 'open' | 'half-open';
  /** Requests waiting in a throttling queue. */
  readonly queued?: number;
  /** Concurrency permits held. */
  readonly permits?: number;
  /** Adaptive overload protection is shedding load. */
  readonly shedding?: boolean;
  /** Values a per-client limit (`limitBy`) remembers, at most its `maxTrackedValues`. */
  readonly trackedValues?: number;
}

/** A rate limit's quota as a client sees it (the `RateLimit` header fields). */
export interface Quota {
  /** Admissions allowed per window. */
  readonly limit: number;
  /** Admissions left in the window ending now. */
  readonly remaining: number;
  /** Milliseconds until `remaining` next grows (the oldest admission leaves the window); 0 when none is counted. */
  readonly resetMs: number;
  readonly windowMs: number;
  /** The value a per-client limit (`limitBy`) keeps this quota for (the `pk` of the `RateLimit` field). */
  readonly partitionKey?: string;
}

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
   * once, when the rules are compiled (`Route.ownTickets`). `request` and `context` are what
   * per-client limits (`limitBy`) read the client's value from; other guards ignore them.
   */
  enter(now: number, request: RequestView, context: RequestContext): GuardResult | Promise<GuardResult>;
  /** The pair left the rules: release timers and anything held. */
  dispose(): void;
  /** Optional: the guard's live state (breaker, queue, permits), for metrics. */
  inspect?(): GuardState;
  /**
   * Optional, rate limits: the quota left at `now` (for this request's client, with `limitBy`),
   * for the `RateLimit` header fields; `undefined` when there is none to tell.
   */
  quota?(now: number, request: RequestView, context: RequestContext): Quota | undefined;
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
  /** Reads a request's client address as per-client limits count it (`trustProxy`, `ipv6Subnet`). */
  readonly clientAddress: ClientAddress;
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
