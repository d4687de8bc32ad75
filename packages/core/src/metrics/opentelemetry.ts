import type { Engine } from '../engine.js';
import { OpenSergoError } from '../errors.js';
import { openTelemetryApi } from '../optional-peer.js';
import type { RuleMetrics } from './engine-metrics.js';
import { DURATION_BUCKETS_MS, type OutcomeStats } from './rule-stats.js';

// The few parts of `@opentelemetry/api` used here (an optional peer dependency: nothing is
// imported from it unless it is installed).
type Attributes = Record<string, string>;
type Observable = object;
interface BatchResult {
  observe(instrument: Observable, value: number, attributes?: Attributes): void;
}
interface Histogram {
  record(value: number, attributes?: Attributes): void;
}
interface InstrumentOptions {
  readonly description?: string;
  readonly unit?: string;
  readonly advice?: { readonly explicitBucketBoundaries?: number[] };
}
/** An OpenTelemetry `Meter` (the parts used). */
export interface MeterLike {
  createObservableCounter(name: string, options?: InstrumentOptions): Observable;
  createObservableUpDownCounter(name: string, options?: InstrumentOptions): Observable;
  createObservableGauge(name: string, options?: InstrumentOptions): Observable;
  createHistogram(name: string, options?: InstrumentOptions): Histogram;
  addBatchObservableCallback(callback: (result: BatchResult) => void, observables: Observable[]): void;
  removeBatchObservableCallback(callback: (result: BatchResult) => void, observables: Observable[]): void;
}
/** An OpenTelemetry `MeterProvider` (the SDK's, or `metrics.getMeterProvider()`). */
export interface MeterProviderLike {
  getMeter(name: string, version?: string): MeterLike;
}
interface OpenTelemetryApi {
  readonly metrics: { getMeterProvider(): MeterProviderLike };
  createNoopMeter(): MeterLike;
}

export interface OpenTelemetryOptions {
  /** Default: the global one (`metrics.getMeterProvider()` of `@opentelemetry/api`). */
  readonly meterProvider?: MeterProviderLike;
}

const targetAttributes = (r: { resource: string; rule: string }): Attributes => ({ 'opensergo.resource': r.resource, 'opensergo.rule': r.rule });
const ruleAttributes = (r: RuleMetrics): Attributes => ({ ...targetAttributes(r), 'opensergo.strategy': r.strategy, 'opensergo.kind': r.kind });

/**
 * Publishes the engine's metrics as OpenTelemetry metrics on a MeterProvider (meter
 * `@opensergo/core`): `opensergo.requests` (attribute `opensergo.result`: passed, blocked,
 * would_block), `opensergo.request.failures`, `opensergo.requests.in_flight`,
 * `opensergo.request.duration` (histogram, seconds), `opensergo.circuit_breaker.state`,
 * `opensergo.throttling.queue_length`, `opensergo.concurrency.permits_in_use`,
 * `opensergo.overload.shedding`, `opensergo.rules`, `opensergo.store.available`,
 * `opensergo.store.late_decisions` (attribute `opensergo.decided`: local, refused). Counters and
 * gauges are read from `engine.metrics()` when the SDK collects; only the histogram is recorded
 * as requests end. Returns a function that detaches them (closing the engine does too).
 *
 * @example
 * ```js
 * import { MeterProvider } from '@opentelemetry/sdk-metrics';
 * import { exportOpenTelemetryMetrics } from '@opensergo/core';
 * exportOpenTelemetryMetrics(governance.engine, { meterProvider: new MeterProvider({ readers: [reader] }) });
 * ```
 */
export function exportOpenTelemetryMetrics(engine: Engine, options: OpenTelemetryOptions = {}): () => void {
  let provider = options.meterProvider;
  if (provider === undefined) {
    const otel = openTelemetryApi<OpenTelemetryApi>();
    if (!otel) {
      throw new OpenSergoError('ERR_OPENSERGO_OPTIONS_INVALID', 'OpenTelemetry metrics need `@opentelemetry/api` installed, or a `meterProvider`');
    }
    provider = otel.metrics.getMeterProvider();
  }
  const meter = provider.getMeter('@opensergo/core');
  const requests = meter.createObservableCounter('opensergo.requests', {
    unit: '{request}',
    description: 'Requests through each (target, strategy) of each rule, by result (passed, blocked, would_block)',
  });
  const failures = meter.createObservableCounter('opensergo.request.failures', { unit: '{request}', description: 'Admitted requests that failed' });
  const inFlight = meter.createObservableUpDownCounter('opensergo.requests.in_flight', { unit: '{request}', description: 'Admitted requests not finished yet' });
  const breaker = meter.createObservableGauge('opensergo.circuit_breaker.state', { description: '1 for the state the breaker is in, 0 for the others' });
  const queue = meter.createObservableGauge('opensergo.throttling.queue_length', { unit: '{request}', description: 'Requests waiting in a throttling queue' });
  const permits = meter.createObservableGauge('opensergo.concurrency.permits_in_use', { unit: '{request}', description: 'Concurrency permits held' });
  const shedding = meter.createObservableGauge('opensergo.overload.shedding', { description: 'Adaptive overload protection is shedding load (1) or not (0)' });
  const rules = meter.createObservableGauge('opensergo.rules', { unit: '{rule}', description: 'Rules in force, by type' });
  const store = meter.createObservableGauge('opensergo.store.available', { description: 'The store answers (1) or not (0)' });
  const late = meter.createObservableCounter('opensergo.store.late_decisions', {
    unit: '{request}',
    description: "Decisions taken without the store because its reply came too late, by how (local, refused)",
  });
  const duration = meter.createHistogram('opensergo.request.duration', {
    unit: 's',
    description: 'Response time of admitted requests whose outcome is followed',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS_MS.map((ms) => ms / 1000) },
  });
  const observables = [requests, failures, inFlight, breaker, queue, permits, shedding, rules, store, late];

  const gauge = (result: BatchResult, instrument: Observable, r: RuleMetrics, value: number | boolean | undefined): void => {
    if (value !== undefined) result.observe(instrument, Number(value), ruleAttributes(r));
  };
  const collect = (result: BatchResult): void => {
    const snapshot = engine.metrics();
    const targets = new Set<string>();
    for (const r of snapshot.resources) {
      const attributes = ruleAttributes(r);
      result.observe(requests, r.passed, { ...attributes, 'opensergo.result': 'passed' });
      result.observe(requests, r.blocked, { ...attributes, 'opensergo.result': 'blocked' });
      result.observe(requests, r.wouldBlock, { ...attributes, 'opensergo.result': 'would_block' });
      const target = `${r.resource}\u0000${r.rule}`;
      if (!targets.has(target)) {
        targets.add(target); // outcomes are per (target, rule): once, whatever the strategies
        result.observe(failures, r.failed, targetAttributes(r));
        result.observe(inFlight, r.inFlight, targetAttributes(r));
      }
      if (r.breaker !== undefined) {
        for (const state of ['closed', 'open', 'half-open']) result.observe(breaker, r.breaker === state ? 1 : 0, { ...attributes, 'opensergo.breaker.state': state });
      }
      gauge(result, queue, r, r.queued);
      gauge(result, permits, r, r.permits);
      gauge(result, shedding, r, r.shedding);
    }
    result.observe(rules, snapshot.rules.faultToleranceRules, { 'opensergo.rule.type': 'fault_tolerance' });
    result.observe(rules, snapshot.rules.trafficLabelRules, { 'opensergo.rule.type': 'traffic_label' });
    result.observe(store, snapshot.store.available ? 1 : 0, { 'opensergo.store': snapshot.store.name });
    for (const decided of ['local', 'refused'] as const) {
      result.observe(late, snapshot.store.lateDecisions[decided], { 'opensergo.store': snapshot.store.name, 'opensergo.decided': decided });
    }
  };
  meter.addBatchObservableCallback(collect, observables);

  const attributesOf = new WeakMap<OutcomeStats, Attributes>();
  const removeListener = engine.observability.addOutcomeListener((stats, ms) => {
    let attributes = attributesOf.get(stats);
    if (!attributes) attributesOf.set(stats, (attributes = targetAttributes(stats)));
    duration.record(ms / 1000, attributes);
  });
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    meter.removeBatchObservableCallback(collect, observables);
    removeListener();
  };
  engine.observability.onClose(stop);
  return stop;
}

/**
 * At engine creation: publish to the global MeterProvider when `@opentelemetry/api` is
 * installed and a real provider is registered (not the API's no-op default), unless the option
 * `openTelemetry` says otherwise.
 */
export function attachOpenTelemetry(engine: Engine, option: boolean | OpenTelemetryOptions | undefined): void {
  if (option === false) return;
  if (typeof option === 'object') {
    exportOpenTelemetryMetrics(engine, option);
    return;
  }
  const otel = openTelemetryApi<OpenTelemetryApi>();
  if (!otel) {
    if (option === true) exportOpenTelemetryMetrics(engine); // throws, saying what is missing
    return;
  }
  const provider = otel.metrics.getMeterProvider();
  const isNoop = provider.getMeter('@opensergo/core').constructor === otel.createNoopMeter().constructor;
  if (!isNoop || option === true) exportOpenTelemetryMetrics(engine, { meterProvider: provider });
}
