import type { LinearRegex } from './linear-regex.js';

/**
 * Normalised OpenSergo rules: what the loader produces and the engine consumes.
 * Durations are milliseconds, ratios are numbers in [0, 1], match values are strings.
 * Every object here is deeply frozen once loaded.
 */

/** Where a document or field came from, for error messages. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** What every normalised resource carries about itself. */
export interface ResourceMeta {
  readonly kind: OpenSergoKind;
  readonly name: string;
  /** `undefined` means "every namespace" (docs/rules.md). */
  readonly namespace: string | undefined;
  /** From `spec.selector.app` or `metadata.labels.app`; `undefined` applies to every app. */
  readonly app: string | undefined;
  readonly location: SourceLocation;
}

export type TrafficKind = 'TrafficLabelRule' | 'WorkloadLabelRule' | 'TrafficRouter';
export type StrategyKind =
  | 'RateLimitStrategy'
  | 'ThrottlingStrategy'
  | 'ConcurrencyLimitStrategy'
  | 'CircuitBreakerStrategy'
  | 'AdaptiveOverloadProtectionStrategy';
export type FaultToleranceKind = 'FaultToleranceRule' | StrategyKind | 'HttpRequestFallbackAction';
export type OpenSergoKind = TrafficKind | FaultToleranceKind;

// ---------------------------------------------------------------- traffic

export type LabelMatchType = 'header' | 'path' | 'query' | 'method' | 'cookie';
export type LabelCondition = '==' | '!=' | 'prefix' | 'suffix' | 'contains' | 'regex' | 'exists';

export interface LabelMatch {
  readonly type: LabelMatchType;
  /** Header names are lower-cased; absent for `path` and `method`. */
  readonly key: string | undefined;
  readonly condition: LabelCondition;
  /** Absent only for `exists`. */
  readonly value: string | undefined;
  /** Compiled for `regex`: RE2 semantics, matches the whole value. */
  readonly regex: LinearRegex | undefined;
}

export interface TrafficLabelRule extends ResourceMeta {
  readonly kind: 'TrafficLabelRule';
  readonly trafficLabel: string;
  readonly match: readonly LabelMatch[];
}

export interface WorkloadLabelRule extends ResourceMeta {
  readonly kind: 'WorkloadLabelRule';
  readonly workloadLabels: readonly string[];
  readonly selector: Readonly<Record<string, string>>;
}

export interface StringMatch {
  readonly exact?: string;
  readonly prefix?: string;
  /** Compiled: RE2 semantics, matches the whole value. */
  readonly regex?: LinearRegex;
}

export interface RouteMatch {
  readonly uri: StringMatch | undefined;
  readonly method: StringMatch | undefined;
  readonly headers: Readonly<Record<string, StringMatch>>;
  readonly queryParams: Readonly<Record<string, StringMatch>>;
  readonly withoutHeaders: Readonly<Record<string, StringMatch>>;
  /** Attributes this process (the caller) must have, each equal (docs/routing.md). */
  readonly sourceLabels: Readonly<Record<string, string>>;
  readonly ignoreUriCase: boolean;
}

export interface RouteDestination {
  readonly host: string;
  readonly subset: string | undefined;
  readonly port: number | undefined;
  readonly fallback: { readonly host: string; readonly subset: string | undefined } | undefined;
}

export interface HttpRoute {
  /** ORed; empty means "every request". */
  readonly match: readonly RouteMatch[];
  readonly route: readonly { readonly destination: RouteDestination; readonly weight: number }[];
}

export interface TrafficRouter extends ResourceMeta {
  readonly kind: 'TrafficRouter';
  readonly hosts: readonly string[];
  readonly http: readonly HttpRoute[];
}

// ---------------------------------------------------------------- fault tolerance

export type LimitMode = 'Local' | 'Global' | 'GlobalToLocal';

/** What a per-client limit (`limitBy`, our extension: docs/per-client.md) tells clients apart by. */
export type LimitByType = 'clientIp' | 'header' | 'query' | 'cookie' | 'trafficLabel';

export interface LimitBy {
  readonly type: LimitByType;
  /** The header (lower-cased), query parameter or cookie name; absent for `clientIp` and `trafficLabel`. */
  readonly key: string | undefined;
}

/** A named value's own limit (`limitByOverrides[]`): its threshold, or for throttling its interval. */
export interface LimitByOverride {
  readonly value: string;
  /** RateLimitStrategy: admissions per window; ConcurrencyLimitStrategy: permits. */
  readonly threshold: number | undefined;
  /** ThrottlingStrategy: the value's own `minIntervalOfRequests`, in ms. */
  readonly minIntervalMs: number | undefined;
}

/** The per-client fields a RateLimit, Throttling or ConcurrencyLimit strategy may carry. */
export interface PerClient {
  /** When set, the limit holds per distinct value, not for the whole target. */
  readonly limitBy: LimitBy | undefined;
  readonly limitByOverrides: readonly LimitByOverride[];
  /** How many values are remembered at most (least recently seen forgotten first). Default 100,000. */
  readonly maxTrackedValues: number;
}

export interface RateLimitStrategy extends ResourceMeta, PerClient {
  readonly kind: 'RateLimitStrategy';
  readonly metricType: 'RequestAmount';
  readonly limitMode: LimitMode;
  readonly threshold: number;
  readonly statDurationMs: number;
}

export interface ThrottlingStrategy extends ResourceMeta, PerClient {
  readonly kind: 'ThrottlingStrategy';
  /** May be fractional (`"500us"` is not accepted, but `0ms` is). */
  readonly minIntervalMs: number;
  readonly queueTimeoutMs: number;
}

export interface ConcurrencyLimitStrategy extends ResourceMeta, PerClient {
  readonly kind: 'ConcurrencyLimitStrategy';
  readonly maxConcurrency: number;
  readonly limitMode: 'Local' | 'Global';
}

export interface CircuitBreakerStrategy extends ResourceMeta {
  readonly kind: 'CircuitBreakerStrategy';
  readonly strategy: 'SlowRequestRatio' | 'ErrorRequestRatio';
  readonly triggerRatio: number;
  readonly statDurationMs: number;
  readonly recoveryTimeoutMs: number;
  readonly minRequestAmount: number;
  /** Required for SlowRequestRatio. */
  readonly maxAllowedRtMs: number | undefined;
  /**
   * Status codes that count as errors for ErrorRequestRatio. `undefined` means the default:
   * any status >= 500. A thrown/forwarded error always counts.
   */
  readonly errorStatusCodes: readonly number[] | undefined;
}

export type OverloadMetric = 'CpuPercentage' | 'SystemLoad' | 'EventLoopDelay';

export interface AdaptiveOverloadProtectionStrategy extends ResourceMeta {
  readonly kind: 'AdaptiveOverloadProtectionStrategy';
  readonly metricType: OverloadMetric;
  /**
   * CpuPercentage: a ratio in [0, 1]. SystemLoad: a load average (per host, like `uptime`).
   * EventLoopDelay: milliseconds.
   */
  readonly triggerThreshold: number;
  readonly adaptiveStrategy: 'NONE' | 'BBR';
}

export type Strategy =
  | RateLimitStrategy
  | ThrottlingStrategy
  | ConcurrencyLimitStrategy
  | CircuitBreakerStrategy
  | AdaptiveOverloadProtectionStrategy;

export interface HttpRequestFallbackAction extends ResourceMeta {
  readonly kind: 'HttpRequestFallbackAction';
  readonly behavior: 'ReturnProvidedResponse';
  readonly statusCode: number;
  readonly body: string;
  /** In file order; names as written. Content-Type defaulting is the engine's job. */
  readonly headers: readonly (readonly [name: string, value: string])[];
}

export interface FaultToleranceRule extends ResourceMeta {
  readonly kind: 'FaultToleranceRule';
  /** `targetResourceName`s as written (compiled by the matcher, not the loader). */
  readonly targets: readonly string[];
  /** References already resolved, in the order written. */
  readonly strategies: readonly Strategy[];
  readonly fallbackAction: HttpRequestFallbackAction | undefined;
  /**
   * `metadata.annotations["opensergo.io/dry-run"]: "true"`: decided as usual, but what it would
   * block is admitted, counted and reported (`request:would-block`) instead; see docs/observability.md.
   */
  readonly dryRun: boolean;
}

/**
 * Everything that applies to this process, after scope filtering and reference resolution.
 * Unreferenced strategies and fallbacks are kept too (so tools can list them).
 */
export interface RuleSet {
  readonly trafficLabelRules: readonly TrafficLabelRule[];
  readonly workloadLabelRules: readonly WorkloadLabelRule[];
  readonly trafficRouters: readonly TrafficRouter[];
  readonly faultToleranceRules: readonly FaultToleranceRule[];
  readonly strategies: readonly Strategy[];
  readonly fallbackActions: readonly HttpRequestFallbackAction[];
}

/** One problem found in a rules file. */
export interface RuleProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** `Kind/name`, or `document N` when the document has no usable kind or name. */
  readonly resource: string;
  /** JSON-pointer-like dotted path, e.g. `spec.threshold`, `spec.strategies[0].name`. */
  readonly field: string;
  /** What was expected, in words. */
  readonly message: string;
}

/** Process identity used for scope (docs/rules.md). */
export interface Scope {
  readonly app: string | undefined;
  readonly namespace: string | undefined;
}
