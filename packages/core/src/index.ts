// @opensergo/core: the framework-neutral engine. Adapters use only:
// createEngine, Engine, Decision, RequestContext, OpenSergoOptions, requestView,
// exitWhenResponseEnds, exitWhenResponseCloses, answerWriteFailure, runRequest, fieldsBesideLength, FallbackResponse.

export { createEngine } from './create-engine.js';
export { Engine } from './engine.js';
export type { Decision, Entry, RequestContext } from './engine.js';
export type { ControlPlaneOptions, OpenSergoOptions } from './options.js';
export { createFileSource } from './sources/file-source.js';
export type { FileSourceOptions } from './sources/file-source.js';
export { joinMount, requestView } from './request-view.js';
export type { ClientIpSource, HeaderBag, RequestView } from './request-view.js';
export { exitWhenResponseCloses } from './response-outcome.js';
export { exitWhenResponseEnds } from './response-end.js';
export { answerWriteFailure } from './write-failure.js';
export { currentContext, keepRequestContext, runInContext, runRequest } from './context/current-context.js';
export type { RequestEmitter } from './context/current-context.js';
export type { ResponseLike } from './response-outcome.js';
export { fieldsBesideLength } from './fallback.js';
export type { FallbackResponse } from './fallback.js';

export {
  propagationHeaders,
  checkLabels,
  incomingLabels,
  labelMember,
  withLabelMember,
  BAGGAGE_KEY,
  LABEL_HEADER,
} from './labels/traffic-labels.js';
export type { DroppedLabel } from './labels/traffic-labels.js';
export { isLabelToken, MAX_LABELS, MAX_LABEL_LENGTH } from './labels/label-token.js';
export { normalisePath } from './matching/normalise-path.js';
export { pathRouting } from './matching/path-routing.js';
export type { PathRouting, RouterSettings } from './matching/path-routing.js';
export { linearRegex, MAX_REGEX_INPUT } from './rules/linear-regex.js';
export type { LinearRegex } from './rules/linear-regex.js';
export { originOf, parseResourcePattern } from './matching/resource-pattern.js';
export type { ResourcePattern, ResourceScope, PatternSegment } from './matching/resource-pattern.js';

export { OpenSergoError, isOpenSergoError, formatProblems } from './errors.js';
export { guard } from './guard/guard.js';
export type { GuardCallOptions } from './guard/guard.js';
export type { GuardOptions, Guarded } from './guard/run-guarded.js';
export { BlockedError } from './guard/blocked-error.js';
export type { Blocked } from './guard/blocked-error.js';
export type { OpenSergoErrorCode } from './errors.js';
export { EngineEvents } from './events.js';
export type { BlockEvent, EngineEventMap } from './events.js';
export { DURATION_BUCKETS_MS } from './metrics/rule-stats.js';
export type { MetricsSnapshot, RuleMetrics, StoreMetrics } from './metrics/engine-metrics.js';
export type { ExplainedCheck, Explanation } from './explain.js';
export { exportOpenTelemetryMetrics } from './metrics/opentelemetry.js';
export type { MeterLike, MeterProviderLike, OpenTelemetryOptions } from './metrics/opentelemetry.js';
export type { EngineStatus, SourceStatus } from './rule-sources.js';

export { systemClock, FakeClock } from './clock.js';
export type { Clock, Timer } from './clock.js';
export { consoleLogger, silentLogger } from './logger.js';
export type { Logger } from './logger.js';

export type { Discovery, Instance } from './discovery/discovery.js';
export { WORKLOAD_LABEL_ATTRIBUTE } from './workload/workload.js';
export type { WorkloadIdentity } from './workload/workload.js';

export { createMemoryStore } from './store/memory-store.js';
export type { Store, StoreHost } from './store/store.js';
export { Block, CHECK_ORDER } from './strategies/guard.js';
export type { Guard, GuardContext, GuardFactory, GuardResult, GuardState, Outcome, Quota, Ticket } from './strategies/guard.js';
export { SlidingWindow } from './strategies/sliding-window.js';
export { createLocalRateLimitGuard } from './strategies/rate-limit.js';
export { createLocalConcurrencyGuard } from './strategies/concurrency-limit.js';
export { createSystemMetrics } from './strategies/system-metrics.js';
export type { MetricProbe, SystemMetrics } from './strategies/system-metrics.js';

export { compileRules, documentsFromValues, loadRulesFile, loadRulesText, parseRulesText, readRulesFile, tryCompileRules } from './rules/load.js';
export type { CompileResult } from './rules/load.js';
export type { KindVersion, LocatedDocument, RuleSource, RuleSourceSink, UpdateInfo, UpdateResult } from './rules/source.js';
export type { PendingRule } from './rules/pending.js';
export type {
  AdaptiveOverloadProtectionStrategy,
  CircuitBreakerStrategy,
  ConcurrencyLimitStrategy,
  FaultToleranceRule,
  HttpRequestFallbackAction,
  HttpRoute,
  LabelMatch,
  LimitMode,
  OpenSergoKind,
  RateLimitStrategy,
  RouteDestination,
  RouteMatch,
  RuleProblem,
  RuleSet,
  Scope,
  Strategy,
  StrategyKind,
  StringMatch,
  ThrottlingStrategy,
  TrafficLabelRule,
  TrafficRouter,
  WorkloadLabelRule,
} from './rules/types.js';
