import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePush, formatDuration, type SubscriptionKey } from '../src/decode.js';
import { ftAny } from './control-plane-server.js';

const FT = 'fault-tolerance.opensergo.io/v1alpha1';
const key = (kind: string): SubscriptionKey => ({ namespace: 'prod', app: 'foo-app', kind: `${FT}/${kind}` });
const metadata = (name: string) => ({ name, namespace: 'prod', labels: { app: 'foo-app' } });

function specOf(kind: string, message: Record<string, unknown>): unknown {
  const result = decodePush(key(kind), [ftAny(kind, message)]);
  assert.ok(result.ok, result.ok ? '' : result.reason);
  return (result.values[0] as { spec: unknown }).spec;
}

function reasonOf(kind: string, data: { type_url: string; value: Uint8Array }[]): string {
  const result = decodePush(key(kind), data);
  assert.equal(result.ok, false);
  return result.ok ? '' : result.reason;
}

test('formatDuration picks the largest unit that divides exactly', () => {
  assert.equal(formatDuration(0), '0ms');
  assert.equal(formatDuration(500), '500ms');
  assert.equal(formatDuration(1_000), '1s');
  assert.equal(formatDuration(1_500), '1500ms');
  assert.equal(formatDuration(300_000), '5min');
  assert.equal(formatDuration(7_200_000), '2h');
  assert.equal(formatDuration(86_400_000), '1d');
});

test('RateLimitStrategy: MODE_UNKNOWN reads as Local, TYPE_UNKNOWN as RequestAmount, UNKNOWN time unit as seconds', () => {
  const result = decodePush(key('RateLimitStrategy'), [ftAny('RateLimitStrategy', { name: 'rl', threshold: 10, statDuration: 1 })]);
  assert.deepEqual(result, {
    ok: true,
    values: [
      {
        apiVersion: FT,
        kind: 'RateLimitStrategy',
        metadata: metadata('rl'),
        spec: { metricType: 'RequestAmount', limitMode: 'Local', threshold: 10, statDuration: '1s' },
      },
    ],
  });
  assert.deepEqual(specOf('RateLimitStrategy', { threshold: 5, statDuration: 60, limitMode: 'MODE_GLOBAL' }), {
    metricType: 'RequestAmount',
    limitMode: 'Global',
    threshold: 5,
    statDuration: '1min',
  });
});

test('RateLimitStrategy: an explicit time unit is honoured', () => {
  const spec = specOf('RateLimitStrategy', { threshold: 1, statDuration: 500, statDurationTimeUnit: 'MILLISECOND', limitMode: 'MODE_LOCAL' });
  assert.deepEqual(spec, { metricType: 'RequestAmount', limitMode: 'Local', threshold: 1, statDuration: '500ms' });
  assert.match(reasonOf('RateLimitStrategy', [ftAny('RateLimitStrategy', { statDuration: 1, statDurationTimeUnit: 9 })]), /unknown time unit 9/);
  assert.match(reasonOf('RateLimitStrategy', [ftAny('RateLimitStrategy', { limitMode: 7 })]), /limitMode: unknown limit mode 7/);
});

test('ThrottlingStrategy: millisecond fields become durations', () => {
  const spec = specOf('ThrottlingStrategy', { name: 't', minIntervalMillisOfRequests: 0, queueTimeoutMillis: 1_000 });
  assert.deepEqual(spec, { minIntervalOfRequests: '0ms', queueTimeout: '1s' });
});

test('a -1 (what the reference control plane sends for a field it could not translate) is refused with the field named', () => {
  const reason = reasonOf('ThrottlingStrategy', [ftAny('ThrottlingStrategy', { name: 't', minIntervalMillisOfRequests: -1, queueTimeoutMillis: 5 })]);
  assert.match(reason, /data\[0\]: ThrottlingStrategy "t" minIntervalMillisOfRequests: -1 is negative/);
});

test('ConcurrencyLimitStrategy: MODE_UNKNOWN reads as Local', () => {
  assert.deepEqual(specOf('ConcurrencyLimitStrategy', { name: 'c', maxConcurrency: 8 }), { maxConcurrency: 8, limitMode: 'Local' });
});

test('CircuitBreakerStrategy: UNKNOWN time units are milliseconds; slow condition only for SlowRequestRatio', () => {
  const slow = specOf('CircuitBreakerStrategy', {
    name: 'cb',
    strategy: 'STRATEGY_SLOW_REQUEST_RATIO',
    triggerRatio: 0.6,
    statDuration: 1_000,
    recoveryTimeout: 5_000,
    minRequestAmount: 10,
    slowCondition: { maxAllowedRtMillis: 500 },
  });
  assert.deepEqual(slow, {
    strategy: 'SlowRequestRatio',
    triggerRatio: 0.6,
    statDuration: '1s',
    recoveryTimeout: '5s',
    minRequestAmount: 10,
    slowConditions: { maxAllowedRt: '500ms' },
  });
  const error = specOf('CircuitBreakerStrategy', {
    strategy: 'STRATEGY_ERROR_REQUEST_RATIO',
    triggerRatio: 0.5,
    statDuration: 2,
    statDurationTimeUnit: 'SECOND',
    recoveryTimeout: 1,
    recoveryTimeoutTimeUnit: 'MINUTE',
    minRequestAmount: 1,
    slowCondition: { maxAllowedRtMillis: -1 },
  });
  assert.deepEqual(error, { strategy: 'ErrorRequestRatio', triggerRatio: 0.5, statDuration: '2s', recoveryTimeout: '1min', minRequestAmount: 1 });
  assert.match(reasonOf('CircuitBreakerStrategy', [ftAny('CircuitBreakerStrategy', { name: 'x' })]), /strategy: STRATEGY_UNKNOWN/);
});

test('FaultToleranceRule: refs keep their kind only when given; the name is made up (it is not on the wire)', () => {
  const result = decodePush(key('FaultToleranceRule'), [
    ftAny('FaultToleranceRule', { targets: [{ targetResourceName: '/foo' }], strategies: [{ name: 'rl' }], action: { name: 'fb' } }),
    ftAny('FaultToleranceRule', {
      targets: [{ targetResourceName: 'GET:/bar' }],
      strategies: [{ name: 'cb', kind: 'CircuitBreakerStrategy' }],
      action: { name: 'fb', kind: 'HttpRequestFallbackAction' },
    }),
  ]);
  assert.ok(result.ok, 'result.ok');
  assert.deepEqual(result.values, [
    {
      apiVersion: FT,
      kind: 'FaultToleranceRule',
      metadata: metadata('fault-tolerance-rule-1'),
      spec: { targets: [{ targetResourceName: '/foo' }], strategies: [{ name: 'rl' }], fallbackAction: 'fb' },
    },
    {
      apiVersion: FT,
      kind: 'FaultToleranceRule',
      metadata: metadata('fault-tolerance-rule-2'),
      spec: {
        targets: [{ targetResourceName: 'GET:/bar' }],
        strategies: [{ name: 'cb', kind: 'CircuitBreakerStrategy' }],
        fallbackAction: { name: 'fb', kind: 'HttpRequestFallbackAction' },
      },
    },
  ]);
});

test('an empty push is an empty list (every rule of that kind was deleted)', () => {
  assert.deepEqual(decodePush(key('RateLimitStrategy'), []), { ok: true, values: [] });
});

test('bad bytes, an unknown type URL or a wrong kind make the whole push unusable', () => {
  const good = ftAny('RateLimitStrategy', { name: 'rl', threshold: 1, statDuration: 1 });
  const garbled = { type_url: good.type_url, value: Buffer.from([0xff, 0xff, 0xff]) };
  assert.match(reasonOf('RateLimitStrategy', [good, garbled]), /^data\[1\]: bytes are not a valid io\.opensergo\.proto\.fault_tolerance\.v1\.RateLimitStrategy/);
  const unknown = { type_url: 'type.googleapis.com/io.opensergo.proto.fault_tolerance.v1.Nope', value: Buffer.alloc(0) };
  assert.match(reasonOf('RateLimitStrategy', [unknown]), /unknown type URL "type\.googleapis\.com\/io\.opensergo\.proto\.fault_tolerance\.v1\.Nope"/);
  assert.match(reasonOf('ThrottlingStrategy', [good]), /a RateLimitStrategy in a push for fault-tolerance\.opensergo\.io\/v1alpha1\/ThrottlingStrategy/);
  const route = { type_url: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration', value: Buffer.alloc(0) };
  assert.match(reasonOf('RateLimitStrategy', [route]), /a TrafficRouter in a push for fault-tolerance\.opensergo\.io\/v1alpha1\/RateLimitStrategy/);
});
