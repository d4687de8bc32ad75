import { systemClock, type Clock } from './clock.js';
import { EngineEvents } from './events.js';
import { defaultFallback, type FallbackResponse } from './fallback.js';
import { NO_LABELS } from './labels/traffic-labels.js';
import { GuardRegistry, type CompiledRules, type PreparedRules } from './guard-registry.js';
import { consoleLogger, silentLogger, type Logger } from './logger.js';
import type { Binding, Route } from './matching/resource-index.js';
import { normalisePath } from './matching/normalise-path.js';
import type { OpenSergoOptions } from './options.js';
import type { RequestView } from './request-view.js';
import { RuleSources, type EngineStatus } from './rule-sources.js';
import type { RuleSet, StrategyKind } from './rules/types.js';
import type { LocatedDocument, RuleSource, UpdateInfo, UpdateResult } from './rules/source.js';
import type { Steps } from './rules/steps.js';
import { createMemoryStore } from './store/memory-store.js';
import type { Store } from './store/store.js';
import type { Scope } from './rules/types.js';
import { nothingGoverned } from './rules/scope-report.js';
import { Block, type GuardResult, type Outcome, type Ticket } from './strategies/guard.js';
import { EngineMetrics, type MetricsSnapshot } from './metrics/engine-metrics.js';
import { blockEvent } from './metrics/block-event.js';
import { RequestEntry } from './request-entry.js';
import { rateLimitFields } from './rate-limit-headers.js';
import { explainRequest, type Explanation } from './explain.js';
import { workloadBase, workloadIdentity, type WorkloadBase, type WorkloadIdentity } from './workload/workload.js';

/** What a handler sees: `req.opensergo`, `ctx.state.opensergo`, `request.opensergo`. */
export interface RequestContext {
  /**
   * The most specific matching target, as written in its rule (an exact path beats
   * parameters, parameters beat `**`, a method beats any method); else the normalised path.
   */
  readonly resource: string;
  /** The primary traffic label (the first), if any. */
  readonly trafficLabel: string | undefined;
  /** Every traffic label, incoming first, then matched rules in file order. */
  readonly trafficLabels: readonly string[];
}

/** An admitted request's handle: report how it ended, once (later calls are ignored). */
export interface Entry {
  exit(outcome: Outcome): void;
}

/** The engine's answer for one request. A block is a value, never an exception. */
export type Decision =
  | {
      readonly type: 'pass';
      readonly context: RequestContext;
      readonly entry: Entry | undefined;
      /** Headers to add to the response (the `RateLimit` fields, with `rateLimitHeaders`). */
      readonly headers?: Readonly<Record<string, string>>;
    }
  | {
      readonly type: 'block';
      readonly context: RequestContext;
      readonly response: FallbackResponse;
      /** Which strategy kind refused, and in which rule. */
      readonly kind: StrategyKind;
      readonly rule: string;
    };


/**
 * What the request holds after the guard at `i` admitted it with `result`. `undefined` means
 * every guard so far handed back itself (a closed breaker, a local limit): the route's own
 * guards are then the tickets, and the hot path allocates no list. The first guard that hands
 * out something else (a probe, a remote permit) starts an explicit list, which keeps a ticket
 * only if it must hear the outcome or a later check could still make it give back its admission.
 */
function take(tickets: Ticket[] | undefined, bindings: readonly Binding[], i: number, result: Ticket): Ticket[] | undefined {
  if (tickets === undefined) {
    if ((result as unknown) === bindings[i]!.guard) return undefined;
    tickets = guardsBefore(bindings, i);
  }
  if (result.tracksOutcome || i < bindings.length - 1) tickets.push(result);
  return tickets;
}

/** The tickets a request holds when the guards before `i` all admitted it by handing back themselves. */
function guardsBefore(bindings: readonly Binding[], i: number): Ticket[] {
  const tickets: Ticket[] = [];
  for (let j = 0; j < i; j++) tickets.push(bindings[j]!.guard as unknown as Ticket);
  return tickets;
}

function tracksAny(tickets: readonly Ticket[]): boolean {
  for (let i = 0; i < tickets.length; i++) if (tickets[i]!.tracksOutcome) return true;
  return false;
}

const isPromise = (value: unknown): value is Promise<GuardResult> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

/**
 * The framework-neutral governance engine. Adapters call `enter` for each request and
 * `entry.exit` when it ends; everything else (rules, sources, state) lives here.
 *
 * @example
 * ```ts
 * import { createEngine, requestView } from '@opensergo/core';
 * const engine = createEngine({ rules: yamlText });
 * const decision = engine.enter(requestView('GET', '/foo', {}));
 * if (!(decision instanceof Promise) && decision.type === 'block') console.log(decision.response.statusCode);
 * ```
 */
export class Engine {
  readonly events = new EngineEvents();
  readonly logger: Logger;
  readonly clock: Clock;
  /** The store in use (the default memory store, or the one passed in options). */
  readonly store: Store;
  private current: CompiledRules;
  private readonly registry: GuardRegistry;
  private readonly sources: RuleSources;
  private closed = false;
  private readonly ownedStore: boolean;
  private readonly detachStore: (() => void) | undefined;
  /** Why nothing is governed, as last said (see `applied`). */
  private ungoverned: string | undefined;
  private readonly observed: EngineMetrics;
  private readonly rateLimitHeaders: boolean;
  /** Follow every admitted request to its end for metrics (`outcomeMetrics: 'all'`). */
  private readonly followAll: boolean;
  private readonly workloadBase: WorkloadBase;
  private identity: WorkloadIdentity;
  /** Outgoing-call clients (`@opensergo/client`) using this engine: they are where TrafficRouters act. */
  private clients = 0;
  private readonly unrouted = new Set<string>();

  /** Use `createEngine`. */
  constructor(
    options: OpenSergoOptions,
    private readonly scope: Scope,
    initial: { readonly source: string; readonly documents: readonly LocatedDocument[]; readonly ruleSet: RuleSet },
  ) {
    this.observed = new EngineMetrics(this.events);
    this.logger = options.logger === false ? silentLogger : (options.logger ?? consoleLogger);
    this.clock = options.clock ?? systemClock;
    this.workloadBase = workloadBase(scope, options.workload, options.workloadLabels);
    this.identity = this.identify(initial.ruleSet, []);
    this.ownedStore = options.store === undefined;
    const store = options.store ?? createMemoryStore();
    this.detachStore = store.attach?.({
      app: scope.app,
      namespace: scope.namespace,
      events: this.events,
      logger: this.logger,
      workload: () => this.identity,
    });
    this.registry = new GuardRegistry({
      clock: this.clock,
      store,
      logger: this.logger,
      events: this.events,
      caseSensitive: options.caseSensitive ?? false,
      trustIncomingLabels: options.trustIncomingLabels ?? true,
      dryRun: options.dryRun === true,
    });
    this.rateLimitHeaders = options.rateLimitHeaders === true;
    this.followAll = options.outcomeMetrics === 'all';
    this.store = store;
    const first = this.registry.compile(initial.ruleSet);
    first.commit();
    this.current = first.compiled;
    this.sources = new RuleSources(this, scope, initial);
    this.reportUnroutedRouters(initial.ruleSet);
  }

  /**
   * @internal Called by `@opensergo/client` for each dispatcher or agent using this engine;
   * returns the detach function. TrafficRouters act only on calls made through one.
   */
  attachClient(): () => void {
    this.clients++;
    let attached = true;
    return () => {
      if (attached) this.clients--;
      attached = false;
    };
  }

  /**
   * TrafficRouters route the calls made through `@opensergo/client`: when, once start-up (or
   * this reload) is over, no client uses this engine, say once per router that it has no effect.
   */
  private reportUnroutedRouters(ruleSet: RuleSet): void {
    if (ruleSet.trafficRouters.length === 0) return;
    setImmediate(() => {
      if (this.clients > 0 || this.closed) return;
      for (const router of ruleSet.trafficRouters) {
        if (this.unrouted.has(router.name)) continue;
        this.unrouted.add(router.name);
        this.logger.warn(
          `TrafficRouter/${router.name} (hosts ${router.hosts.join(', ')}) is ignored: TrafficRouters route the outgoing calls ` +
            'made through @opensergo/client (createDispatcher or createAgent with this engine), and none uses this engine',
        );
      }
    }).unref();
  }

  /**
   * @internal After start-up and each update: one warning when no rule applies to this
   * process, and again only when the reason changes (an edit that still misses).
   */
  applied(ruleSet: RuleSet, documents: readonly LocatedDocument[]): void {
    const why = nothingGoverned(ruleSet, documents, this.scope);
    if (why !== undefined && why !== this.ungoverned) this.logger.warn(`nothing is governed: ${why}`);
    this.ungoverned = why;
  }

  /** The rules in force. */
  get rules(): RuleSet {
    return this.current.ruleSet;
  }

  /** This process's workload identity (attributes and workload labels) under the rules in force. */
  get workload(): WorkloadIdentity {
    return this.identity;
  }

  /** The identity under `ruleSet`, said once whenever its labels change. */
  private identify(ruleSet: RuleSet, before: readonly string[]): WorkloadIdentity {
    const next = workloadIdentity(this.workloadBase, ruleSet.workloadLabelRules);
    if (next.labels.join(',') !== before.join(',') && (next.labels.length || before.length)) {
      const said = next.labels.map((label) => `${label} (${next.sources[label]!.join(', ')})`).join('; ');
      this.logger.info(`workload labels of this process: ${said || 'none'}`);
    }
    return next;
  }

  /** Decides one request. Synchronous unless a strategy must wait (throttling, remote store). */
  enter(view: RequestView): Decision | Promise<Decision> {
    const compiled = this.current;
    const path = normalisePath(view.url, compiled.foldCase);
    const route = compiled.index.lookup(view.method, path);
    const labels = compiled.labeler.labels(view, path);
    if (!route) return { type: 'pass', context: { resource: path, trafficLabel: labels[0], trafficLabels: labels }, entry: undefined };
    const context: RequestContext =
      labels === NO_LABELS ? route.unlabelled : { resource: route.resource, trafficLabel: labels[0], trafficLabels: labels };
    return this.check(route, 0, this.clock.now(), context, undefined);
  }

  private check(
    route: Route,
    start: number,
    enteredAt: number,
    context: RequestContext,
    tickets: Ticket[] | undefined,
  ): Decision | Promise<Decision> {
    // Synchronous checks happen at one instant: one clock read serves them all. After a
    // wait (resume), `now` is read again for the checks that follow it.
    const bindings = route.bindings;
    const now = start === 0 ? enteredAt : this.clock.now();
    for (let i = start; i < bindings.length; i++) {
      const result = bindings[i]!.guard.enter(now);
      if (isPromise(result)) return this.resume(result, route, i, enteredAt, context, tickets);
      if (result instanceof Block) {
        if (!bindings[i]!.dryRun) return this.block(route, i, result, context, tickets, enteredAt);
        tickets = this.wouldBlock(route, i, result, context, tickets);
        continue;
      }
      tickets = take(tickets, bindings, i, result);
    }
    return this.pass(route, context, tickets, enteredAt);
  }

  private async resume(
    pending: Promise<GuardResult>,
    route: Route,
    i: number,
    enteredAt: number,
    context: RequestContext,
    tickets: Ticket[] | undefined,
  ): Promise<Decision> {
    const bindings = route.bindings;
    let result: GuardResult;
    try {
      result = await pending;
    } catch (error) {
      // A guard must resolve; if one fails anyway, fail open rather than turn it into a 500.
      this.logger.error(`a ${bindings[i]!.rule} check failed; the request was admitted: ${String(error)}`);
      return this.check(route, i + 1, enteredAt, context, tickets);
    }
    if (result instanceof Block) {
      if (!bindings[i]!.dryRun) return this.block(route, i, result, context, tickets, enteredAt);
      return this.check(route, i + 1, enteredAt, context, this.wouldBlock(route, i, result, context, tickets));
    }
    return this.check(route, i + 1, enteredAt, context, take(tickets, bindings, i, result));
  }

  /**
   * A dry-run guard at `i` refused: count it, tell listeners, and go on as if it had not been
   * asked. It took nothing, so from here the request holds an explicit list without it.
   */
  private wouldBlock(route: Route, i: number, block: Block, context: RequestContext, tickets: Ticket[] | undefined): Ticket[] {
    const binding = route.bindings[i]!;
    binding.stats.wouldBlock += 1;
    if (this.events.hearsWouldBlock) this.events.emit('request:would-block', blockEvent(binding, block, context));
    return tickets ?? guardsBefore(route.bindings, i);
  }

  private pass(route: Route, context: RequestContext, tickets: Ticket[] | undefined, enteredAt: number): Decision {
    const bindings = route.bindings;
    for (let i = 0; i < bindings.length; i++) bindings[i]!.stats.passed += 1;
    const held = tickets ?? route.ownTickets;
    if ((held.length === 0 || (tickets && !tracksAny(tickets))) && !this.followAll) {
      if (!this.rateLimitHeaders) return context === route.unlabelled ? route.unlabelledPass : { type: 'pass', context, entry: undefined };
      return this.withHeaders(route, context, undefined);
    }
    const entry = new RequestEntry(held, route.outcomes, enteredAt, this.clock, this.observed);
    return this.rateLimitHeaders ? this.withHeaders(route, context, entry) : { type: 'pass', context, entry };
  }

  /** A pass decision carrying the `RateLimit` fields of the route's rate limits. */
  private withHeaders(route: Route, context: RequestContext, entry: Entry | undefined): Decision {
    const headers = rateLimitFields(route.bindings, this.clock.now());
    return headers ? { type: 'pass', context, entry, headers } : { type: 'pass', context, entry };
  }

  /** The guard at `i` refused: what earlier guards took is given back, then the fallback answers. */
  private block(
    route: Route,
    i: number,
    block: Block,
    context: RequestContext,
    tickets: Ticket[] | undefined,
    enteredAt: number,
  ): Decision {
    const binding = route.bindings[i]!;
    binding.stats.blocked += 1;
    if (tickets || i > 0) {
      const now = this.clock.now();
      for (const ticket of tickets ?? guardsBefore(route.bindings, i)) ticket.cancel(enteredAt, now);
    }
    if (this.events.hearsBlocked) this.events.emit('request:blocked', blockEvent(binding, block, context));
    const fallback = binding.fallback ?? defaultFallback(block.kind);
    let response = fallback.respond(block);
    const fields = this.rateLimitHeaders ? rateLimitFields(route.bindings, this.clock.now()) : undefined;
    if (fields) response = { ...response, headers: { ...response.headers, ...fields } };
    return { type: 'block', context, response, kind: block.kind, rule: binding.rule };
  }

  /**
   * Replaces the documents of one source and swaps in the union of all sources, keeping the
   * state of unchanged (target, strategy) pairs. On invalid rules nothing changes.
   */
  update(source: string, documents: readonly LocatedDocument[], info?: UpdateInfo): UpdateResult {
    return this.sources.update(source, documents, info);
  }

  /** Adds a live rule source (a watched file, the control plane) and starts it. */
  addSource(source: RuleSource): void {
    this.sources.add(source);
  }

  /** Sources, versions, last errors, and this process's workload identity. */
  status(): EngineStatus {
    return { ...this.sources.status(), workload: this.identity };
  }

  /**
   * A snapshot of what governance did: per (target, strategy) of each rule, requests passed,
   * blocked, would-block (dry run), failed, in flight and their response times, with each
   * guard's live state (breaker, queue, permits); the rules in force, their sources, the store.
   * Counters only grow while a rule applies; exporters read them (see docs/observability.md).
   *
   * @example
   * ```ts
   * for (const r of engine.metrics().resources) console.log(r.resource, r.rule, r.passed, r.blocked);
   * ```
   */
  metrics(): MetricsSnapshot {
    return this.observed.snapshot(this.current.bindings, this.status(), this.store);
  }

  /** @internal Where exporters hook in (outcome listener, store state). */
  get observability(): EngineMetrics {
    return this.observed;
  }

  /**
   * What the rules in force make of a request, without deciding it: its resource, traffic
   * labels and the label rules that gave them, and every check that applies, in check order.
   *
   * @example
   * ```ts
   * engine.explain(requestView('GET', '/foo', {})).checks.map((c) => `${c.rule} ${c.kind}`);
   * ```
   */
  explain(view: RequestView): Explanation {
    return explainRequest(this.current, view);
  }

  /** @internal Compiles a validated rule set for the hot path, in steps (used by the rule sources). */
  prepare(ruleSet: RuleSet): Steps<PreparedRules> {
    return this.registry.compileSteps(ruleSet);
  }

  /** @internal Swaps in prepared rules at once: a request sees the old rules or the new ones. */
  swap(prepared: PreparedRules): void {
    const before = this.current.ruleSet.workloadLabelRules;
    this.current = prepared.compiled;
    prepared.commit();
    if (prepared.compiled.ruleSet.workloadLabelRules !== before) this.identity = this.identify(prepared.compiled.ruleSet, this.identity.labels);
    this.reportUnroutedRouters(prepared.compiled.ruleSet);
  }

  /** Stops sources, timers and (if the engine created it) the store. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.sources.close();
    this.registry.disposeAll();
    this.observed.close();
    this.detachStore?.();
    if (this.ownedStore) await this.store.close();
  }
}
