import { fallbackFromAction, type FallbackTemplate } from './fallback.js';
import type { EngineEvents } from './events.js';
import type { Logger } from './logger.js';
import type { Clock } from './clock.js';
import { reportDroppedLabels } from './labels/dropped-labels.js';
import { TrafficLabeler, type DroppedLabel } from './labels/traffic-labels.js';
import { namedRoutes, ResourceIndex, type Binding, type Route } from './matching/resource-index.js';
import { OutcomeStats, RuleStats } from './metrics/rule-stats.js';
import { parseResourcePattern } from './matching/resource-pattern.js';
import { defaultRouting, ROUTING_KEYS, type PathRouting } from './matching/path-routing.js';
import { runSync, type Steps } from './rules/steps.js';
import type { HttpRequestFallbackAction, RuleSet, Strategy } from './rules/types.js';
import type { Store } from './store/store.js';
import type { Guard, GuardFactory } from './strategies/guard.js';
import { GUARD_FACTORIES } from './strategies/registry.js';
import { createSystemMetrics, type SystemMetrics } from './strategies/system-metrics.js';
import type { ClientAddress } from './client/client-address.js';

/** A rule set made ready for the hot path. Immutable; swapped in whole. */
export interface CompiledRules {
  readonly ruleSet: RuleSet;
  /**
   * Incoming request paths (`/path`, `METHOD:/path`), what the middleware looks up: one index
   * per routing in use, by `PathRouting.key`. Filled at compile time for the routings known
   * then, and by {@link indexFor} for one an adapter brings later.
   */
  readonly indexes: (ResourceIndex | undefined)[];
  /** The incoming bindings the indexes hold. */
  readonly incoming: readonly Binding[];
  /** Outgoing-call targets by origin (`http://backend`), each an index of their paths. */
  readonly outgoing: ReadonlyMap<string, ResourceIndex>;
  /** Free-form resource names (`db:orders.select`), entered only by `guard`. */
  readonly names: ReadonlyMap<string, Route>;
  /** The routes `guard` found for the names it was given under these rules (see `routeOf`). */
  readonly guarded: Map<string, Route | null>;
  readonly labeler: TrafficLabeler;
  readonly foldCase: boolean;
  /** Every (target, strategy) pair of every rule, in rule order (what metrics report). */
  readonly bindings: readonly Binding[];
}

export interface RegistryOptions {
  readonly clock: Clock;
  readonly store: Store;
  readonly logger: Logger;
  readonly events: EngineEvents;
  readonly caseSensitive: boolean;
  /** The routings requests arrive with (the engine's default and each adapter's), by key. */
  readonly routings: ReadonlyMap<number, PathRouting>;
  readonly trustIncomingLabels: boolean;
  /** Every rule in dry run (option `dryRun`), whatever its annotation. */
  readonly dryRun: boolean;
  /** How per-client limits read a request's client address (options `trustProxy`, `ipv6Subnet`). */
  readonly clientAddress: ClientAddress;
  /** The metrics sampler shared by adaptive guards. Default: one made here, stopped by `disposeAll`. */
  readonly metrics?: SystemMetrics;
}

/** The incoming index of `compiled` for `routing`, built now if no request came with it before. */
export function indexFor(compiled: CompiledRules, routing: PathRouting): ResourceIndex {
  return (compiled.indexes[routing.key] ??= new ResourceIndex(compiled.incoming, routing));
}

/** A compiled rule set waiting to be swapped in. */
export interface PreparedRules {
  readonly compiled: CompiledRules;
  /** Call once `compiled` is in force: disposes the guards it no longer uses. */
  commit(): void;
  /** Call instead of `commit` when `compiled` will not be used: disposes the guards made for it. */
  discard(): void;
}

// Strategies are frozen, and one is often shared by thousands of (target, strategy) pairs.
const fingerprints = new WeakMap<Strategy, string>();

/** Identity of a strategy's definition, without where it was written. */
function fingerprint(strategy: Strategy): string {
  let known = fingerprints.get(strategy);
  if (known === undefined) {
    const { location: _location, ...definition } = strategy;
    known = JSON.stringify(definition);
    fingerprints.set(strategy, known);
  }
  return known;
}

/**
 * Owns the guards (the state of every (target, strategy) pair) across rule reloads: a pair
 * whose definition did not change keeps its guard, and so its counters, permits and breaker
 * state; a changed pair gets a fresh guard; a removed pair's guard is disposed.
 */
export class GuardRegistry {
  private guards = new Map<string, Guard>();
  private stats = new Map<string, RuleStats>();
  private outcomes = new Map<string, OutcomeStats>();
  private readonly warned = new Set<string>();
  private readonly metrics: SystemMetrics;
  /** One reporter for the engine's life, so that its once-a-minute limit holds across reloads. */
  private readonly droppedLabels: DroppedLabel;

  constructor(private readonly options: RegistryOptions) {
    this.metrics = options.metrics ?? createSystemMetrics({ clock: options.clock });
    this.droppedLabels = reportDroppedLabels(options.logger, options.clock);
  }

  /** Compiles `ruleSet`; call `commit()` on the result once it is in force. */
  compile(ruleSet: RuleSet): PreparedRules {
    return runSync(this.compileSteps(ruleSet));
  }

  /**
   * {@link compile} in steps, pausing after each rule (see `runSliced`). Commit or discard the
   * result before preparing another: guards are shared with the rules in force.
   */
  *compileSteps(ruleSet: RuleSet): Steps<PreparedRules> {
    const { caseSensitive, trustIncomingLabels } = this.options;
    const next = new Map<string, Guard>();
    const nextStats = new Map<string, RuleStats>();
    const nextOutcomes = new Map<string, OutcomeStats>();
    const created: Guard[] = [];
    const bindings: Binding[] = [];
    const fallbacks = new Map<HttpRequestFallbackAction, FallbackTemplate>();
    for (const rule of ruleSet.faultToleranceRules) {
      const action = rule.fallbackAction;
      let fallback: FallbackTemplate | undefined;
      if (action) {
        fallback = fallbacks.get(action) ?? fallbackFromAction(action);
        fallbacks.set(action, fallback);
      }
      for (const target of rule.targets) {
        const pattern = parseResourcePattern(target, caseSensitive);
        if (typeof pattern === 'string') continue; // the loader already rejected it
        for (const strategy of rule.strategies) {
          const targetKey = pattern.scope === 'name' ? `name:${pattern.path}` : `${pattern.method ?? '*'}:${pattern.origin ?? ''}${pattern.path}`;
          const guard = this.guardFor(strategy, targetKey, target, next, created);
          if (!guard) continue;
          // Counters follow the (target, strategy, rule), not the strategy's definition: a
          // changed threshold keeps counting where it was.
          const ruleKey = `${targetKey}\u0000${rule.namespace ?? ''}/${rule.name}`;
          let outcomes = nextOutcomes.get(ruleKey) ?? this.outcomes.get(ruleKey);
          outcomes ??= new OutcomeStats(target, rule.name);
          nextOutcomes.set(ruleKey, outcomes);
          const statsKey = `${ruleKey}\u0000${strategy.kind}/${strategy.namespace ?? ''}/${strategy.name}`;
          let stats = nextStats.get(statsKey) ?? this.stats.get(statsKey);
          stats ??= new RuleStats(target, rule.name, strategy.name, strategy.kind, outcomes);
          nextStats.set(statsKey, stats);
          const dryRun = rule.dryRun || this.options.dryRun;
          bindings.push({ pattern, guard, fallback, rule: `FaultToleranceRule/${rule.name}`, stats, dryRun });
        }
      }
      yield;
    }
    const byOrigin = new Map<string, Binding[]>();
    for (const binding of bindings) {
      const origin = binding.pattern.origin;
      if (origin === undefined) continue;
      const group = byOrigin.get(origin);
      if (group) group.push(binding);
      else byOrigin.set(origin, [binding]);
    }
    const outgoing = new Map<string, ResourceIndex>();
    for (const [origin, group] of byOrigin) outgoing.set(origin, yield* ResourceIndex.build(group, defaultRouting(caseSensitive)));
    const incoming = bindings.filter((b) => b.pattern.scope === 'incoming');
    const indexes = new Array<ResourceIndex | undefined>(ROUTING_KEYS).fill(undefined);
    for (const [key, routing] of this.options.routings) indexes[key] = yield* ResourceIndex.build(incoming, routing);
    const compiled: CompiledRules = {
      ruleSet,
      indexes,
      incoming,
      outgoing,
      names: namedRoutes(bindings.filter((b) => b.pattern.scope === 'name')),
      guarded: new Map(),
      labeler: new TrafficLabeler(ruleSet.trafficLabelRules, !caseSensitive, trustIncomingLabels, this.droppedLabels),
      foldCase: !caseSensitive,
      bindings,
    };
    return {
      compiled,
      commit: () => {
        for (const [key, guard] of this.guards) if (next.get(key) !== guard) guard.dispose();
        this.guards = next;
        this.stats = nextStats;
        this.outcomes = nextOutcomes;
      },
      discard: () => {
        for (const guard of created) guard.dispose();
      },
    };
  }

  /** Disposes every guard and stops the metrics sampler (engine close). */
  disposeAll(): void {
    for (const guard of this.guards.values()) guard.dispose();
    this.guards = new Map();
    if (!this.options.metrics) this.metrics.stop();
  }

  private guardFor(strategy: Strategy, targetKey: string, target: string, next: Map<string, Guard>, created: Guard[]): Guard | undefined {
    const factory = GUARD_FACTORIES[strategy.kind] as GuardFactory | undefined;
    const id = `${strategy.kind}/${strategy.namespace ?? ''}/${strategy.name}`;
    if (!factory) {
      this.warnOnce(id, `${strategy.kind}/${strategy.name} is not enforced by this version; requests pass it`);
      return undefined;
    }
    const key = `${targetKey}\u0000${id}\u0000${fingerprint(strategy)}`;
    const existing = next.get(key) ?? this.guards.get(key);
    if (existing) {
      next.set(key, existing);
      return existing;
    }
    const { store } = this.options;
    if ('limitMode' in strategy && strategy.limitMode !== 'Local' && !store.shared) {
      this.warnOnce(
        `${id}:mode`,
        `${strategy.kind}/${strategy.name} has limitMode ${strategy.limitMode} but the store (${store.name}) is not shared: ` +
          'it is enforced for this process alone. Pass a shared store (e.g. @opensergo/redis) to enforce it across instances.',
      );
    }
    const guard = factory(strategy, {
      clock: this.options.clock,
      store,
      logger: this.options.logger,
      events: this.options.events,
      key: `${strategy.namespace ?? '_'}/${strategy.name}/${targetKey}`,
      target,
      metrics: this.metrics,
      clientAddress: this.options.clientAddress,
    });
    next.set(key, guard);
    created.push(guard);
    return guard;
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.options.logger.warn(message);
  }
}

