import type { StrategyKind } from '../rules/types.js';
import type { Outcome } from '../strategies/guard.js';

/**
 * Upper bounds (milliseconds) of the response-time buckets, Prometheus's default buckets
 * from 5 ms to 10 s. Fixed, so that every exporter reads the same histogram.
 */
export const DURATION_BUCKETS_MS: readonly number[] = Object.freeze([5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]);

const LAST_BUCKET = DURATION_BUCKETS_MS.length;
/** The same bounds for `record`'s loop: an indexed read of a frozen array costs ~80 instructions (callgrind). */
const BOUNDS = Float64Array.from(DURATION_BUCKETS_MS);

/** What the engine says about one outcome to whoever listens (the OpenTelemetry histogram). */
export type OutcomeListener = (stats: OutcomeStats, durationMs: number, failed: boolean) => void;

/**
 * How the admitted requests of one target of one rule ended: one per (target, rule), shared by
 * the rule's strategies on that target, since a request's outcome is the same for all of them.
 */
export class OutcomeStats {
  /** Admitted requests that failed: an error, or a 5xx status. */
  failed = 0;
  /** Admitted requests not finished yet (only on routes whose outcomes are followed). */
  inFlight = 0;
  /** Per bucket of {@link DURATION_BUCKETS_MS}, then one for slower: not cumulative. */
  readonly buckets = new Float64Array(LAST_BUCKET + 1);
  durationSumMs = 0;
  durationCount = 0;

  constructor(
    /** The target as written in the rule. */
    readonly resource: string,
    /** The FaultToleranceRule's name. */
    readonly rule: string,
  ) {}

  /** An admitted request ended `durationMs` after it arrived. */
  record(outcome: Outcome, durationMs: number, listener: OutcomeListener | undefined): void {
    this.inFlight -= 1;
    if (outcome.type === 'abandoned') return;
    const failed = outcome.type === 'failed' || outcome.statusCode >= 500;
    if (failed) this.failed += 1;
    let i = 0;
    while (i < LAST_BUCKET && durationMs > BOUNDS[i]!) i++;
    this.buckets[i]! += 1;
    this.durationSumMs += durationMs;
    this.durationCount += 1;
    listener?.(this, durationMs, failed);
  }
}

/**
 * The counters of one (target, strategy) pair of one rule: plain numbers the engine bumps on
 * objects it already holds, read by exporters when they are asked. Kept across reloads while
 * the rule still applies that strategy to that target, so counters only ever grow.
 */
export class RuleStats {
  /** Requests every check admitted (including what a dry-run rule let through). */
  passed = 0;
  /** Requests this strategy refused. */
  blocked = 0;
  /** Requests this strategy would have refused, admitted because the rule (or engine) is in dry run. */
  wouldBlock = 0;

  constructor(
    /** The target as written in the rule. */
    readonly resource: string,
    /** The FaultToleranceRule's name. */
    readonly rule: string,
    readonly strategy: string,
    readonly kind: StrategyKind,
    /** How the target's admitted requests ended (shared with the rule's other strategies on it). */
    readonly outcomes: OutcomeStats,
  ) {}
}
