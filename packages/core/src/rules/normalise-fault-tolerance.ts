import { describe } from './duration.js';
import { parseResourcePattern } from '../matching/resource-pattern.js';
import {
  arr,
  durationAt,
  headerNameAt,
  headerValueAt,
  ratioAt,
  rec,
  report,
  str,
  textAt,
  type Ctx,
  type Meta,
  type Rec,
} from './normalise-common.js';
import type { Path } from './problems.js';
import { limitByAt } from './normalise-limit-by.js';
import type {
  AdaptiveOverloadProtectionStrategy,
  CircuitBreakerStrategy,
  ConcurrencyLimitStrategy,
  HttpRequestFallbackAction,
  LimitMode,
  OverloadMetric,
  RateLimitStrategy,
  ThrottlingStrategy,
} from './types.js';

/** A `strategies[]` or `fallbackAction` reference, resolved later (resolve.ts). */
export interface Reference {
  readonly name: string;
  readonly kind: string | undefined;
  readonly path: Path;
}

/** A FaultToleranceRule before its references are resolved. */
export interface FaultToleranceRuleDraft {
  readonly meta: Meta;
  readonly targets: readonly string[];
  readonly strategies: readonly Reference[];
  readonly fallbackAction: Reference | undefined;
  /** `metadata.annotations["opensergo.io/dry-run"]`; see docs/observability.md. */
  readonly dryRun: boolean;
}

/** The annotation that puts one rule in dry run; see docs/observability.md. */
export const DRY_RUN_ANNOTATION = 'opensergo.io/dry-run';

/** `"true"` or `"false"` (a YAML boolean is read the same); anything else is a mistake, never ignored. */
function dryRunAt(c: Ctx): boolean {
  const annotations = rec(rec(rec(c.doc.value)['metadata'])['annotations']);
  const value = annotations[DRY_RUN_ANNOTATION];
  if (value === undefined || value === 'false' || value === false) return false;
  if (value === 'true' || value === true) return true;
  report(c, ['metadata', 'annotations', DRY_RUN_ANNOTATION], `expected "true" or "false", got ${describe(value)}`);
  return false;
}

/**
 * FaultToleranceRule: targets checked as resource patterns, references kept for resolution.
 *
 * @example
 * ```ts
 * const rule = normaliseFaultToleranceRule(c, meta, spec);
 * ```
 */
export function normaliseFaultToleranceRule(c: Ctx, meta: Meta, spec: Rec): FaultToleranceRuleDraft {
  const targets = arr(spec['targets']).flatMap((raw, i) => {
    const name = str(rec(raw)['targetResourceName']);
    if (name === undefined || name.length === 0 || name.length > 1024) return [];
    const pattern = parseResourcePattern(name);
    if (typeof pattern === 'string') report(c, ['spec', 'targets', i, 'targetResourceName'], `${pattern}, got ${describe(name)}`);
    return [name];
  });
  const seen = new Set<string>();
  const strategies = arr(spec['strategies']).flatMap((raw, i): Reference[] => {
    const ref = rec(raw);
    const name = str(ref['name']);
    if (name === undefined) return [];
    const key = `${str(ref['kind']) ?? ''}/${name}`;
    if (seen.has(key)) report(c, ['spec', 'strategies', i], `strategy "${name}" is listed twice; its limits would count every request twice`);
    seen.add(key);
    return [{ name, kind: str(ref['kind']), path: ['spec', 'strategies', i] }];
  });
  const fallback = spec['fallbackAction'];
  let fallbackAction: Reference | undefined;
  if (typeof fallback === 'string') fallbackAction = { name: fallback, kind: undefined, path: ['spec', 'fallbackAction'] };
  else if (str(rec(fallback)['name']) !== undefined) {
    fallbackAction = { name: str(rec(fallback)['name'])!, kind: str(rec(fallback)['kind']), path: ['spec', 'fallbackAction'] };
  }
  return { meta, targets, strategies, fallbackAction, dryRun: dryRunAt(c) };
}

/**
 * RateLimitStrategy: exactly one of `statDuration` / `statDurationSeconds`.
 *
 * @example
 * ```ts
 * const rule = normaliseRateLimitStrategy(c, meta, spec);
 * ```
 */
export function normaliseRateLimitStrategy(c: Ctx, meta: Meta, spec: Rec): RateLimitStrategy {
  const threshold = finite(c, ['spec', 'threshold'], spec['threshold']);
  let statDurationMs: number | undefined;
  const seconds = spec['statDurationSeconds'];
  if (spec['statDuration'] !== undefined && seconds !== undefined) {
    report(c, ['spec', 'statDurationSeconds'], 'give statDuration or statDurationSeconds, not both');
  } else if (spec['statDuration'] !== undefined) {
    statDurationMs = durationAt(c, ['spec', 'statDuration'], spec['statDuration'], 1);
  } else if (typeof seconds === 'number') {
    statDurationMs = seconds * 1000;
  } else if (seconds === undefined) {
    report(c, ['spec', 'statDuration'], 'missing; expected statDuration (a duration such as "1s") or statDurationSeconds (a whole number of seconds)', ['spec']);
  }
  return {
    ...meta,
    kind: 'RateLimitStrategy',
    metricType: 'RequestAmount',
    limitMode: str(spec['limitMode']) as LimitMode,
    threshold: threshold ?? 0,
    statDurationMs: statDurationMs ?? 0,
    ...limitByAt(c, spec),
  };
}

/**
 * ThrottlingStrategy: both durations may be 0.
 *
 * @example
 * ```ts
 * const rule = normaliseThrottlingStrategy(c, meta, spec);
 * ```
 */
export function normaliseThrottlingStrategy(c: Ctx, meta: Meta, spec: Rec): ThrottlingStrategy {
  return {
    ...meta,
    kind: 'ThrottlingStrategy',
    minIntervalMs: durationAt(c, ['spec', 'minIntervalOfRequests'], spec['minIntervalOfRequests'], 0) ?? 0,
    queueTimeoutMs: durationAt(c, ['spec', 'queueTimeout'], spec['queueTimeout'], 0) ?? 0,
    ...limitByAt(c, spec),
  };
}

/**
 * ConcurrencyLimitStrategy (the schema checks everything but the per-client fields).
 *
 * @example
 * ```ts
 * const rule = normaliseConcurrencyLimitStrategy(c, meta, spec);
 * ```
 */
export function normaliseConcurrencyLimitStrategy(c: Ctx, meta: Meta, spec: Rec): ConcurrencyLimitStrategy {
  const maxConcurrency = spec['maxConcurrency'];
  return {
    ...meta,
    kind: 'ConcurrencyLimitStrategy',
    maxConcurrency: typeof maxConcurrency === 'number' ? maxConcurrency : 0,
    limitMode: str(spec['limitMode']) === 'Global' ? 'Global' : 'Local',
    ...limitByAt(c, spec),
  };
}

/**
 * CircuitBreakerStrategy: `recoverTimeout` alias, conditions per strategy.
 *
 * @example
 * ```ts
 * const rule = normaliseCircuitBreakerStrategy(c, meta, spec);
 * ```
 */
export function normaliseCircuitBreakerStrategy(c: Ctx, meta: Meta, spec: Rec): CircuitBreakerStrategy {
  const strategy = str(spec['strategy']) === 'SlowRequestRatio' ? 'SlowRequestRatio' : 'ErrorRequestRatio';
  let recoveryTimeoutMs: number | undefined;
  if (spec['recoveryTimeout'] !== undefined && spec['recoverTimeout'] !== undefined) {
    report(c, ['spec', 'recoverTimeout'], 'give recoveryTimeout or its alias recoverTimeout, not both');
  } else if (spec['recoveryTimeout'] === undefined && spec['recoverTimeout'] === undefined) {
    report(c, ['spec', 'recoveryTimeout'], 'missing; expected a duration such as "5s" (how long the breaker stays open)', ['spec']);
  } else {
    const field = spec['recoveryTimeout'] !== undefined ? 'recoveryTimeout' : 'recoverTimeout';
    recoveryTimeoutMs = durationAt(c, ['spec', field], spec[field], 1);
  }
  const slow = spec['slowConditions'];
  const errors = spec['errorConditions'];
  let maxAllowedRtMs: number | undefined;
  if (strategy === 'SlowRequestRatio') {
    if (slow === undefined) {
      report(c, ['spec', 'slowConditions', 'maxAllowedRt'], 'missing; SlowRequestRatio needs slowConditions.maxAllowedRt (a duration such as "500ms")', ['spec']);
    } else {
      maxAllowedRtMs = durationAt(c, ['spec', 'slowConditions', 'maxAllowedRt'], rec(slow)['maxAllowedRt'], 1);
    }
    if (errors !== undefined) report(c, ['spec', 'errorConditions'], 'only used with strategy ErrorRequestRatio; remove it');
  } else if (slow !== undefined) {
    report(c, ['spec', 'slowConditions'], 'only used with strategy SlowRequestRatio; remove it');
  }
  const codes = arr(rec(errors)['statusCodes']).filter((s): s is number => typeof s === 'number');
  const minRequestAmount = spec['minRequestAmount'];
  return {
    ...meta,
    kind: 'CircuitBreakerStrategy',
    strategy,
    triggerRatio: ratioAt(c, ['spec', 'triggerRatio'], spec['triggerRatio']) ?? 0,
    statDurationMs: durationAt(c, ['spec', 'statDuration'], spec['statDuration'], 1) ?? 0,
    recoveryTimeoutMs: recoveryTimeoutMs ?? 0,
    minRequestAmount: typeof minRequestAmount === 'number' ? minRequestAmount : 0,
    maxAllowedRtMs,
    errorStatusCodes: codes.length > 0 ? [...new Set(codes)].sort((a, b) => a - b) : undefined,
  };
}

/**
 * AdaptiveOverloadProtectionStrategy: `triggerThreshold` read according to `metricType`.
 *
 * @example
 * ```ts
 * const rule = normaliseAdaptiveOverloadProtectionStrategy(c, meta, spec);
 * ```
 */
export function normaliseAdaptiveOverloadProtectionStrategy(c: Ctx, meta: Meta, spec: Rec): AdaptiveOverloadProtectionStrategy {
  const metricType = str(spec['metricType']) as OverloadMetric;
  const path: Path = ['spec', 'triggerThreshold'];
  const raw = spec['triggerThreshold'];
  let triggerThreshold: number | undefined;
  if (metricType === 'CpuPercentage') triggerThreshold = ratioAt(c, path, raw);
  else if (metricType === 'EventLoopDelay') triggerThreshold = durationAt(c, path, raw, 1);
  else if (metricType === 'SystemLoad' && raw !== undefined) {
    if (typeof raw === 'number' && Number.isFinite(raw) && raw >= 0) triggerThreshold = raw;
    else report(c, path, `expected a load average for SystemLoad: a number ≥ 0 such as 4, got ${describe(raw)}`);
  }
  return {
    ...meta,
    kind: 'AdaptiveOverloadProtectionStrategy',
    metricType,
    triggerThreshold: triggerThreshold ?? 0,
    adaptiveStrategy: str(spec['adaptiveStrategy']) === 'BBR' ? 'BBR' : 'NONE',
  };
}

/** Statuses whose responses carry no body (RFC 9110 §15.3.5, §15.3.6, §15.4.5). */
const NO_BODY: ReadonlySet<number> = new Set([204, 205, 304]);

/** Headers the server computes itself; a fallback setting them would corrupt the response. */
const FRAMING: ReadonlySet<string> = new Set(['content-length', 'transfer-encoding', 'connection']);

/**
 * HttpRequestFallbackAction: header names are tokens, values have no CR/LF.
 *
 * @example
 * ```ts
 * const rule = normaliseHttpRequestFallbackAction(c, meta, spec);
 * ```
 */
export function normaliseHttpRequestFallbackAction(c: Ctx, meta: Meta, spec: Rec): HttpRequestFallbackAction {
  const desc = rec(spec['behaviorDesc']);
  const headers = arr(desc['responseAdditionalHeaders']).flatMap((raw, i): [string, string][] => {
    const path: Path = ['spec', 'behaviorDesc', 'responseAdditionalHeaders', i];
    const header = rec(raw);
    const written = str(header['key']);
    const name = written === undefined ? undefined : headerNameAt(c, [...path, 'key'], written);
    if (name !== undefined && FRAMING.has(name.toLowerCase())) {
      report(c, [...path, 'key'], `"${name}" is set by the server from the body; remove it`);
    }
    const text = textAt(c, [...path, 'value'], header['value']);
    const value = text === undefined ? undefined : headerValueAt(c, [...path, 'value'], text);
    return name === undefined || value === undefined ? [] : [[name, value]];
  });
  const status = desc['responseStatusCode'];
  const body = str(desc['responseContentBody']) ?? '';
  if (body !== '' && typeof status === 'number' && NO_BODY.has(status)) {
    report(c, ['spec', 'behaviorDesc', 'responseContentBody'], `a ${status} response has no body; remove it or choose another status`);
  }
  return {
    ...meta,
    kind: 'HttpRequestFallbackAction',
    behavior: 'ReturnProvidedResponse',
    statusCode: typeof status === 'number' ? status : 0,
    body,
    headers,
  };
}

function finite(c: Ctx, path: Path, value: unknown): number | undefined {
  if (typeof value !== 'number') return undefined;
  if (Number.isFinite(value)) return value;
  return void report(c, path, `expected a finite number, got ${value}`);
}
