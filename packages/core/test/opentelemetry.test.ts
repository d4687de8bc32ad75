// The engine's figures as OpenTelemetry metrics, read through the SDK's in-memory exporter.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type Histogram,
} from '@opentelemetry/sdk-metrics';
import { createEngine, exportOpenTelemetryMetrics, FakeClock, requestView } from '../src/index.js';

const FT = 'fault-tolerance.opensergo.io/v1alpha1';
const RULES = `
apiVersion: ${FT}
kind: RateLimitStrategy
metadata: { name: rate-limit-foo }
spec: { metricType: RequestAmount, limitMode: Local, threshold: 10, statDuration: 1s }
---
apiVersion: ${FT}
kind: CircuitBreakerStrategy
metadata: { name: breaker }
spec: { strategy: ErrorRequestRatio, triggerRatio: 50%, statDuration: 10s, recoveryTimeout: 5s, minRequestAmount: 2 }
---
apiVersion: ${FT}
kind: FaultToleranceRule
metadata: { name: my-rule }
spec:
  targets: [{ targetResourceName: /foo }]
  strategies: [{ name: rate-limit-foo }, { name: breaker }]
`;

function sdk() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const read = async () => {
    exporter.reset();
    await reader.forceFlush();
    const scopes = exporter.getMetrics().flatMap((m) => m.scopeMetrics);
    return new Map(scopes.flatMap((s) => s.metrics).map((m) => [m.descriptor.name, m.dataPoints as DataPoint<unknown>[]]));
  };
  return { provider, read };
}

const point = (points: DataPoint<unknown>[] | undefined, attributes: Record<string, string>) =>
  points?.find((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v));

describe('OpenTelemetry metrics', () => {
  it('publishes the same figures as engine.metrics() on the given MeterProvider', async () => {
    const { provider, read } = sdk();
    const clock = new FakeClock(1_000);
    const engine = createEngine({ rules: RULES, clock, logger: false, openTelemetry: { meterProvider: provider } });
    try {
      for (let i = 0; i < 30; i++) {
        const d = engine.enter(requestView('GET', '/foo', {}));
        if (!(d instanceof Promise) && d.type === 'pass') {
          clock.advance(30);
          d.entry?.exit({ type: 'finished', statusCode: 200 });
        }
      }
      const got = await read();
      const requests = got.get('opensergo.requests');
      const foo = { 'opensergo.resource': '/foo', 'opensergo.rule': 'my-rule', 'opensergo.kind': 'RateLimitStrategy' };
      assert.equal(point(requests, { ...foo, 'opensergo.result': 'passed' })?.value, 10);
      assert.equal(point(requests, { ...foo, 'opensergo.result': 'blocked' })?.value, 20);
      const breaker = { 'opensergo.resource': '/foo', 'opensergo.kind': 'CircuitBreakerStrategy' };
      assert.equal(point(got.get('opensergo.circuit_breaker.state'), { ...breaker, 'opensergo.breaker.state': 'closed' })?.value, 1);
      const duration = point(got.get('opensergo.request.duration'), { 'opensergo.resource': '/foo', 'opensergo.rule': 'my-rule' })?.value as
        | Histogram
        | undefined;
      assert.equal(got.get('opensergo.request.duration')?.length, 1, 'one histogram per (target, rule), whatever its strategies');
      assert.equal(duration?.count, 10);
      assert.ok(Math.abs((duration?.sum ?? 0) - 0.3) < 1e-9, 'Math.abs((duration?.sum ?? 0) - 0.3) < 1e-9');
      assert.equal(point(got.get('opensergo.rules'), { 'opensergo.rule.type': 'fault_tolerance' })?.value, 1);
    } finally {
      await engine.close();
      await provider.shutdown();
    }
  });

  it('uses the global MeterProvider when one is registered before the engine, and stops with the engine', async () => {
    const { provider, read } = sdk();
    metrics.setGlobalMeterProvider(provider);
    try {
      const passed = { 'opensergo.rule': 'my-rule', 'opensergo.kind': 'RateLimitStrategy', 'opensergo.result': 'passed' };
      const engine = createEngine({ rules: RULES, logger: false });
      engine.enter(requestView('GET', '/foo', {}));
      assert.equal(point((await read()).get('opensergo.requests'), passed)?.value, 1);
      await engine.close();
      engine.enter(requestView('GET', '/foo', {}));
      // The SDK repeats the last value of a cumulative series; what matters is that it no longer moves.
      assert.equal(point((await read()).get('opensergo.requests'), passed)?.value, 1, 'not read after close');
      const off = createEngine({ rules: RULES.replace('my-rule', 'off-rule'), logger: false, openTelemetry: false });
      off.enter(requestView('GET', '/foo', {}));
      assert.equal(point((await read()).get('opensergo.requests'), { 'opensergo.rule': 'off-rule' }), undefined, 'openTelemetry: false publishes nothing');
      await off.close();
    } finally {
      metrics.disable();
      await provider.shutdown();
    }
  });

  it('an exporter that throws costs the request nothing: permits come back, figures stay right, one line is logged', async () => {
    const { provider } = sdk();
    // A meter whose histogram throws on every record, as a broken exporter or view would.
    const broken = {
      getMeter(name: string, version?: string) {
        const meter = provider.getMeter(name, version);
        return Object.assign(Object.create(meter) as typeof meter, {
          createHistogram: () => ({
            record() {
              throw new Error('exporter bug');
            },
          }),
        });
      },
    };
    const errors: string[] = [];
    const clock = new FakeClock(1_000);
    const rules = `${RULES}---
apiVersion: ${FT}
kind: ConcurrencyLimitStrategy
metadata: { name: one-at-a-time }
spec: { maxConcurrency: 1, limitMode: Local }
---
apiVersion: ${FT}
kind: FaultToleranceRule
metadata: { name: second-rule }
spec:
  targets: [{ targetResourceName: /foo }]
  strategies: [{ name: one-at-a-time }]
`;
    const engine = createEngine({ rules, clock, logger: { info() {}, warn() {}, error: (m) => errors.push(m) }, openTelemetry: { meterProvider: broken } });
    try {
      for (let i = 0; i < 3; i++) {
        const d = engine.enter(requestView('GET', '/foo', {}));
        assert.ok(!(d instanceof Promise) && d.type === 'pass', `request ${i} admitted: the permit of the one before came back`);
        clock.advance(10);
        assert.doesNotThrow(() => d.entry?.exit({ type: 'finished', statusCode: 200 }));
      }
      for (const r of engine.metrics().resources) {
        assert.equal(r.inFlight, 0, `${r.rule}/${r.strategy}: nothing left in flight`);
        assert.equal(r.duration.count, 3, `${r.rule}/${r.strategy}: every outcome counted`);
      }
      assert.equal(errors.length, 1, 'logged once, not once per request');
      assert.match(errors[0]!, /metrics exporter failed .*exporter bug/);
    } finally {
      await engine.close();
      await provider.shutdown();
    }
  });

  it('can be attached later, and detached', async () => {
    const { provider, read } = sdk();
    const engine = createEngine({ rules: RULES, logger: false });
    const stop = exportOpenTelemetryMetrics(engine, { meterProvider: provider });
    engine.enter(requestView('GET', '/foo', {}));
    assert.equal(point((await read()).get('opensergo.requests'), { 'opensergo.result': 'passed', 'opensergo.kind': 'RateLimitStrategy' })?.value, 1);
    engine.events.emit('store:late', { store: 'memory', key: 'k', requests: 2, decided: 'local' });
    assert.equal(point((await read()).get('opensergo.store.late_decisions'), { 'opensergo.decided': 'local' })?.value, 2);
    stop();
    engine.enter(requestView('GET', '/foo', {}));
    assert.equal(point((await read()).get('opensergo.requests'), { 'opensergo.result': 'passed', 'opensergo.kind': 'RateLimitStrategy' })?.value, 1, 'no longer read');
    await engine.close();
    await provider.shutdown();
  });
});
