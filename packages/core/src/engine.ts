import { systemClock, type Clock } from './clock.js';
import { ClientAttachments } from './client-attachments.js';
import { Decider } from './decide.js';
import { EngineEvents } from './events.js';
import { NO_LABELS } from './labels/traffic-labels.js';
import { GuardRegistry, indexFor, type CompiledRules, type PreparedRules } from './guard-registry.js';
import { heldBack, LogLimiter } from './log-limiter.js';
import { consoleLogger, silentLogger, type Logger } from './logger.js';
import { normalisePath, normaliseRequestPath } from './matching/normalise-path.js';
import type { PathRouting, RouterSettings } from './matching/path-routing.js';
import { Routings } from './matching/routings.js';
import { originOf } from './matching/resource-pattern.js';
import type { OpenSergoOptions } from './options.js';
import { requestView, type RequestView } from './request-view.js';
import type { Decision, RequestContext } from './decision.js';

import { RuleSources, type EngineStatus } from './rule-sources.js';
import type { RuleSet } from './rules/types.js';
import type { LocatedDocument, RuleSource, UpdateInfo, UpdateResult } from './rules/source.js';
import type { Steps } from './rules/steps.js';
import { createMemoryStore } from './store/memory-store.js';
import type { Store } from './store/store.js';
import type { Scope } from './rules/types.js';
import { nothingGoverned } from './rules/scope-report.js';
import { EngineMetrics, type MetricsSnapshot } from './metrics/engine-metrics.js';
import { clientAddressReader, compileTrust } from './client/client-address.js';
import { explainRequest, type Explanation } from './explain.js';
import { ProcessIdentity } from './workload/process-identity.js';
import type { WorkloadIdentity } from './workload/workload.js';
import { peekContext } from './context/current-context.js';
import { engineClosed, engineOpened } from './guard/guard.js';
import { routeOf } from './guard/resource-route.js';
import { callUnguarded, contextOn, runGuarded, type GuardOptions, type Guarded } from './guard/run-guarded.js';

/** The view a guarded function is decided with: it has no request. */
const NO_REQUEST: RequestView = requestView('GET', '/', {});

export type { Decision, Entry, RequestContext } from './decision.js';

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
  readonly events: EngineEvents;
  /**
   * @internal Adapters set this key on a request the engine has decided (Express `res.locals`,
   * Koa's context, Fastify's request): the same engine mounted twice (app and router) then
   * lets the request through the second time without counting it again.
   */
  readonly passedMark: symbol = Symbol('opensergo.passed');
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
  private readonly decider: Decider;
  private readonly identity: ProcessIdentity;
  /** Outgoing-call clients (`@opensergo/client`) using this engine: they are where TrafficRouters act. */
  private readonly clients: ClientAttachments;
  /** How request paths are read: the default, and each adapter's router's way. */
  private readonly routings: Routings;

  /** Use `createEngine`. */
  constructor(
    options: OpenSergoOptions,
    private readonly scope: Scope,
    initial: { readonly source: string; readonly documents: readonly LocatedDocument[]; readonly ruleSet: RuleSet },
  ) {
    this.logger = options.logger === false ? silentLogger : (options.logger ?? consoleLogger);
    this.clock = options.clock ?? systemClock;
    // A listener that throws (an event's, an exporter's) is logged at most once a minute per kind.
    const listenerErrors = new LogLimiter(() => this.clock.now());
    const listenerFailed = (key: string, what: string, error: unknown): void => {
      const held = listenerErrors.take(key);
      if (held !== undefined) this.logger.error(`${what}: ${String(error)}${heldBack(held)}`);
    };
    this.events = new EngineEvents((event, error) => listenerFailed(event, `a ${event} listener threw (the engine went on as if it had returned)`, error));
    this.observed = new EngineMetrics(this.events, (error) =>
      listenerFailed('outcome listener', "a metrics exporter failed to record a request's outcome (the request was not affected)", error),
    );
    this.identity = new ProcessIdentity(scope, options, initial.ruleSet, this.logger);
    this.clients = new ClientAttachments(this.logger, () => this.closed);
    this.ownedStore = options.store === undefined;
    const store = options.store ?? createMemoryStore();
    this.detachStore = store.attach?.({
      app: scope.app,
      namespace: scope.namespace,
      events: this.events,
      logger: this.logger,
      workload: () => this.identity.current,
    });
    this.routings = new Routings(options.caseSensitive, this.logger, (routing) => indexFor(this.current, routing));
    this.registry = new GuardRegistry({
      clock: this.clock,
      store,
      logger: this.logger,
      events: this.events,
      caseSensitive: options.caseSensitive ?? false,
      routings: this.routings.byKey,
      trustIncomingLabels: options.trustIncomingLabels ?? true,
      dryRun: options.dryRun === true,
      clientAddress: clientAddressReader(compileTrust(options.trustProxy), options.ipv6Subnet ?? 56, options.trustProxy !== undefined, (options.forwardedHeader ?? 'x-forwarded-for').toLowerCase()),
    });
    this.decider = new Decider(this.clock, this.logger, this.events, this.observed, options.rateLimitHeaders === true, options.outcomeMetrics === 'all');
    this.store = store;
    const first = this.registry.compile(initial.ruleSet);
    first.commit();
    this.current = first.compiled;
    this.sources = new RuleSources(this, scope, initial);
    this.clients.reportUnroutedRouters(initial.ruleSet);
    engineOpened(this);
  }

  /**
   * @internal Called by `@opensergo/client` for each dispatcher or agent using this engine;
   * returns the detach function. TrafficRouters act only on calls made through one.
   */
  attachClient(): () => void {
    return this.clients.attach();
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
    return this.identity.current;
  }

  /**
   * Reads request paths the way a framework's router does, for the views that carry the
   * returned routing (`requestView(method, url, headers, socket, proxyTrust, routing)`): adapters call it with the
   * framework's own settings. Says once per framework when the `caseSensitive` option
   * disagrees: the router decides which handler a request reaches, so it decides here too.
   *
   * @example
   * ```ts
   * const settings = { caseSensitive: false, ignoreTrailingSlash: true, ignoreDuplicateSlashes: false, semicolonDelimiter: false, emptyParams: false };
   * const routing = engine.followRouter(settings, 'Express', 'app setting "case sensitive routing" is off');
   * engine.enter(requestView('GET', '/FOO', {}, undefined, undefined, routing)); // counted under `/foo`
   * ```
   */
  followRouter(settings: RouterSettings, framework: string, caseSetting: string): PathRouting {
    return this.routings.follow(settings, framework, caseSetting);
  }

  /** Decides one request. Synchronous unless a strategy must wait (throttling, remote store). */
  enter(view: RequestView): Decision | Promise<Decision> {
    const compiled = this.current;
    const routing = view.routing ?? this.routings.fallback;
    const index = compiled.indexes[routing.key] ?? indexFor(compiled, this.routings.adopt(routing));
    const url = view.url;
    let path = url;
    let route = index.lookupAsIs(view.method, url, routing.emptyParams);
    if (route === false) {
      path = normaliseRequestPath(url, routing);
      route = index.lookup(view.method, path, routing.emptyParams);
    }
    const labels = compiled.labeler.labels(view, path);
    if (!route) return { type: 'pass', context: { resource: path, trafficLabel: labels[0], trafficLabels: labels }, entry: undefined };
    const context: RequestContext =
      labels === NO_LABELS ? route.unlabelled : { resource: route.resource, trafficLabel: labels[0], trafficLabels: labels };
    return this.decider.check(view, route, 0, this.clock.now(), context, undefined);
  }

  /**
   * @internal Decides an outgoing call (`@opensergo/client`) against the outgoing targets
   * (`METHOD:http://host/path`): `undefined` when no target names it. `protocol` is `http:` or
   * `https:`, `host` as the caller wrote it, `path` with its query. The entry of a pass hears
   * how the call ended; `outer` is the request the call is made in, for its labels.
   */
  enterCall(method: string, protocol: string, host: string, path: string, outer: RequestContext | undefined): Decision | Promise<Decision> | undefined {
    const compiled = this.current;
    if (compiled.outgoing.size === 0) return undefined;
    const index = compiled.outgoing.get(originOf(protocol, host));
    const route = index?.lookup(method, normalisePath(path, compiled.foldCase));
    if (route === undefined) return undefined;
    // The call's own view (method, path and query; no headers, no socket): a per-client limit
    // on an outgoing target can count by query parameter or traffic label.
    return this.decider.check(requestView(method, path, {}), route, 0, this.clock.now(), contextOn(route, outer), undefined);
  }

  /**
   * Runs `fn` under the rules for `resource` (see `guard` for the semantics): resolves to its
   * result, or rejects with `ERR_OPENSERGO_BLOCKED` (or resolves to `options.fallback`'s value)
   * when a strategy refuses. A resource no rule names is simply called.
   *
   * @example
   * ```ts
   * const user = await engine.guard('db:users.select', () => db.users.find(id));
   * ```
   */
  guard<T, F = never>(resource: string, fn: Guarded<T>, options?: GuardOptions<F>): Promise<Awaited<T> | Awaited<F>> {
    const signal = options?.signal;
    // Aborted already: nothing is decided, nothing is run.
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    const route = routeOf(this.current, resource);
    if (route === undefined) return callUnguarded(fn, signal);
    // A guarded function has no request: a per-client limit counts it under the shared empty value.
    return runGuarded(this.decider.check(NO_REQUEST, route, 0, this.clock.now(), contextOn(route, peekContext()), undefined), fn, options);
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
    return { ...this.sources.status(), workload: this.identity.current };
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
    return explainRequest(this.current, view, view.routing ?? this.routings.fallback);
  }

  /** @internal Compiles a validated rule set for the hot path, in steps (used by the rule sources). */
  prepare(ruleSet: RuleSet): Steps<PreparedRules> {
    return this.registry.compileSteps(ruleSet);
  }

  /** @internal Swaps in prepared rules at once: a request sees the old rules or the new ones. */
  swap(prepared: PreparedRules): void {
    const before = this.current.ruleSet;
    this.current = prepared.compiled;
    prepared.commit();
    this.identity.update(before, prepared.compiled.ruleSet);
    this.clients.reportUnroutedRouters(prepared.compiled.ruleSet);
  }

  /** Stops sources, timers and (if the engine created it) the store. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    engineClosed(this);
    await this.sources.close();
    this.registry.disposeAll();
    this.observed.close();
    this.detachStore?.();
    if (this.ownedStore) await this.store.close();
  }
}
