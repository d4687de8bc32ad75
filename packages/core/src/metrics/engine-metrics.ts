import type { EngineEvents } from '../events.js';
import type { Binding } from '../matching/resource-index.js';
import type { EngineStatus } from '../rule-sources.js';
import type { StrategyKind } from '../rules/types.js';
import type { Store } from '../store/store.js';
import { DURATION_BUCKETS_MS, type OutcomeListener, type OutcomeStats, type RuleStats } from './rule-stats.js';

/** One (target, strategy) pair of one rule, as `engine.metrics()` reports it. */
export interface RuleMetrics {
  /** The target as written in the rule. */
  readonly resource: string;
  readonly rule: string;
  readonly strategy: string;
  readonly kind: StrategyKind;
  readonly dryRun: boolean;
  readonly passed: number;
  readonly blocked: number;
  readonly wouldBlock: number;
  /**
   * Admitted requests that failed, those in flight, and response times: per (target, rule), so
   * the same figures in each row of the rule's strategies on that target (see option `outcomeMetrics`).
   */
  readonly failed: number;
  readonly inFlight: number;
  readonly duration: {
    /** Cumulative counts per bucket of `durationBucketsMs`, then the total (`+Inf`). */
    readonly cumulative: readonly number[];
    readonly sumMs: number;
    readonly count: number;
  };
  /** Live state, for the strategies that have it. */
  readonly breaker?: 'closed' | 'open' | 'half-open';
  readonly queued?: number;
  readonly permits?: number;
  readonly shedding?: boolean;
  /** Values a per-client limit (`limitBy`) remembers, at most its `maxTrackedValues`. */
  readonly trackedValues?: number;
}

/** The store in use and whether it answers (from `store:state` and `store:late`). */
export interface StoreMetrics {
  readonly name: string;
  readonly shared: boolean;
  /** Every part of the store answers (false while any shard is unavailable). */
  readonly available: boolean;
  /** Why it (or the first unavailable shard) does not. */
  readonly reason: string | undefined;
  /** Shards (Redis Cluster masters) now unavailable, whose keys are enforced locally. */
  readonly unavailableShards: readonly string[];
  /** Decisions taken without the store because its reply came too late (`store:late`), admitted locally or refused. */
  readonly lateDecisions: { readonly local: number; readonly refused: number };
}

/** What `engine.metrics()` returns. */
export interface MetricsSnapshot {
  /** Wall-clock time of the snapshot (ms since the epoch). */
  readonly at: number;
  readonly rules: EngineStatus['rules'];
  readonly sources: EngineStatus['sources'];
  readonly store: StoreMetrics;
  /** Upper bounds (ms) of the response-time buckets. */
  readonly durationBucketsMs: readonly number[];
  readonly resources: readonly RuleMetrics[];
}

function cumulative(stats: OutcomeStats): number[] {
  const out = new Array<number>(stats.buckets.length);
  let sum = 0;
  for (let i = 0; i < stats.buckets.length; i++) out[i] = sum += stats.buckets[i]!;
  return out;
}

/**
 * The engine's side of observability: builds snapshots from the counters the engine keeps,
 * remembers the store's availability, and holds the one per-outcome hook an exporter may set
 * (OpenTelemetry's histogram, which has no observable form).
 */
export class EngineMetrics {
  /** Called for every followed outcome while set; `undefined` costs the request path nothing. */
  outcomeListener: OutcomeListener | undefined;
  private readonly listeners = new Set<OutcomeListener>();
  private readonly closers = new Set<() => void>();
  /** Unavailable parts of the store and why ('' for a store without shards). */
  private readonly down = new Map<string, string | undefined>();
  private readonly late = { local: 0, refused: 0 };

  /** `listenerFailed`: told of each outcome listener that threw (the engine logs it, rate-limited). */
  constructor(
    events: EngineEvents,
    private readonly listenerFailed: (error: unknown) => void,
  ) {
    events.on('store:state', ({ available, reason, shard = '' }) => {
      if (available) this.down.delete(shard);
      else this.down.set(shard, reason);
    });
    events.on('store:late', ({ requests, decided }) => {
      this.late[decided] += requests;
    });
  }

  private storeState(): Omit<StoreMetrics, 'name' | 'shared'> {
    const [first] = this.down.values();
    return {
      available: this.down.size === 0,
      reason: first,
      unavailableShards: [...this.down.keys()].filter((shard) => shard !== ''),
      lateDecisions: { ...this.late },
    };
  }

  /** Hears every followed outcome until the returned function is called. */
  addOutcomeListener(listener: OutcomeListener): () => void {
    this.listeners.add(listener);
    this.updateListener();
    return () => {
      this.listeners.delete(listener);
      this.updateListener();
    };
  }

  /** Runs `closer` when the engine closes (exporters detach themselves). */
  onClose(closer: () => void): void {
    this.closers.add(closer);
  }

  close(): void {
    for (const closer of this.closers) closer();
    this.closers.clear();
  }

  /**
   * An exporter that throws must not reach the request that ended: the entry would stop
   * halfway (later rules' in-flight counts never fall) and the throw would surface where the
   * response's end was heard, an uncaught exception on Express and Fastify. It goes to
   * `listenerFailed`, and the other listeners still hear the outcome.
   */
  private updateListener(): void {
    const all = [...this.listeners];
    this.outcomeListener =
      all.length === 0
        ? undefined
        : (stats, ms, failed) => {
            for (let i = 0; i < all.length; i++) {
              try {
                all[i]!(stats, ms, failed);
              } catch (error) {
                this.listenerFailed(error);
              }
            }
          };
  }

  snapshot(bindings: readonly Binding[], status: EngineStatus, store: Store): MetricsSnapshot {
    const seen = new Set<RuleStats>();
    const resources: RuleMetrics[] = [];
    for (const binding of bindings) {
      const stats = binding.stats;
      if (seen.has(stats)) continue;
      seen.add(stats);
      const { resource, rule, strategy, kind, passed, blocked, wouldBlock, outcomes } = stats;
      resources.push({
        resource,
        rule,
        strategy,
        kind,
        dryRun: binding.dryRun,
        passed,
        blocked,
        wouldBlock,
        failed: outcomes.failed,
        inFlight: outcomes.inFlight,
        duration: { cumulative: cumulative(outcomes), sumMs: outcomes.durationSumMs, count: outcomes.durationCount },
        ...binding.guard.inspect?.(),
      });
    }
    return {
      at: Date.now(),
      rules: status.rules,
      sources: status.sources,
      store: { name: store.name, shared: store.shared, ...this.storeState() },
      durationBucketsMs: DURATION_BUCKETS_MS,
      resources,
    };
  }
}
