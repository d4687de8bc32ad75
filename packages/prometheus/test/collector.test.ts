// The collector on a real prom-client registry, scraped through each framework's handler.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import express from 'express';
import Koa from 'koa';
import Fastify from 'fastify';
import { Registry, type OpenMetricsContentType } from 'prom-client';
import { createEngine, FakeClock, requestView, type Engine } from '@opensergo/core';
import { collectOpenSergoMetrics, fastifyMetricsHandler, koaMetricsHandler, metricsHandler } from '@opensergo/prometheus';

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
  strategies: [{ name: rate-limit-foo }]
---
apiVersion: ${FT}
kind: FaultToleranceRule
metadata: { name: fragile }
spec:
  targets: [{ targetResourceName: /fragile }]
  strategies: [{ name: breaker }]
`;

/** `name{labels} value` lines of a scrape, as a map from `name{labels}` to the value. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

function traffic(engine: Engine, clock: FakeClock): void {
  for (let i = 0; i < 30; i++) engine.enter(requestView('GET', '/foo', {}));
  for (let i = 0; i < 2; i++) {
    const d = engine.enter(requestView('GET', '/fragile', {}));
    assert.ok(!(d instanceof Promise) && d.type === 'pass' && d.entry, "!(d instanceof Promise) && d.type === 'pass' && d.entry");
    clock.advance(20);
    d.entry.exit({ type: 'finished', statusCode: 503 });
  }
  // What a shared store reports when its reply comes too late (the memory store never does).
  engine.events.emit('store:late', { store: 'memory', key: 'k', requests: 3, decided: 'refused' });
}

const foo = (result: string) =>
  `opensergo_requests_total{resource="/foo",rule="my-rule",strategy="rate-limit-foo",kind="RateLimitStrategy",result="${result}"}`;
const fragile = 'resource="/fragile",rule="fragile",strategy="breaker",kind="CircuitBreakerStrategy"';
const fragileTarget = 'resource="/fragile",rule="fragile"';

async function scrape(port: number): Promise<{ type: string | null; samples: Map<string, number> }> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(res.status, 200);
  return { type: res.headers.get('content-type'), samples: parse(await res.text()) };
}

function checkScrape({ type, samples }: { type: string | null; samples: Map<string, number> }): void {
  assert.match(String(type), /^text\/plain; version=0\.0\.4/);
  assert.equal(samples.get(foo('passed')), 10);
  assert.equal(samples.get(foo('blocked')), 20);
  assert.equal(samples.get(foo('would_block')), 0);
  assert.equal(samples.get(`opensergo_circuit_breaker_state{${fragile},state="open"}`), 1);
  assert.equal(samples.get(`opensergo_circuit_breaker_state{${fragile},state="closed"}`), 0);
  assert.equal(samples.get(`opensergo_request_failures_total{${fragileTarget}}`), 2);
  assert.equal(samples.get(`opensergo_request_duration_seconds_bucket{${fragileTarget},le="0.01"}`), 0);
  assert.equal(samples.get(`opensergo_request_duration_seconds_bucket{${fragileTarget},le="0.025"}`), 2);
  assert.equal(samples.get(`opensergo_request_duration_seconds_count{${fragileTarget}}`), 2);
  assert.equal(samples.get(`opensergo_request_duration_seconds_sum{${fragileTarget}}`), 0.04);
  assert.equal(samples.get('opensergo_rules{type="fault_tolerance"}'), 2);
  assert.equal(samples.get('opensergo_rules_info{source="inline",version=""}'), 1);
  assert.equal(samples.get('opensergo_store_available{store="memory",shared="false"}'), 1);
  assert.equal(samples.get('opensergo_store_late_decisions_total{store="memory",decided="local"}'), 0);
  assert.equal(samples.get('opensergo_store_late_decisions_total{store="memory",decided="refused"}'), 3);
}

async function listening(server: ReturnType<typeof createServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('@opensergo/prometheus', () => {
  const setup = () => {
    const clock = new FakeClock(1_000);
    const engine = createEngine({ rules: RULES, clock, logger: false });
    const registry = new Registry();
    collectOpenSergoMetrics(engine, { registry });
    traffic(engine, clock);
    return { engine, registry };
  };

  it('serves the figures through Express', async () => {
    const { engine, registry } = setup();
    const app = express();
    app.get('/metrics', metricsHandler(registry));
    const server = createServer(app);
    try {
      checkScrape(await scrape(await listening(server)));
    } finally {
      server.close();
      await engine.close();
    }
  });

  it('serves the figures through Koa', async () => {
    const { engine, registry } = setup();
    const app = new Koa();
    const handler = koaMetricsHandler(registry);
    app.use(async (ctx, next) => (ctx.path === '/metrics' ? handler(ctx) : next()));
    const server = createServer(app.callback());
    try {
      checkScrape(await scrape(await listening(server)));
    } finally {
      server.close();
      await engine.close();
    }
  });

  it('serves the figures through Fastify', async () => {
    const { engine, registry } = setup();
    const app = Fastify();
    app.get('/metrics', fastifyMetricsHandler(registry));
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      checkScrape(await scrape((app.server.address() as AddressInfo).port));
    } finally {
      await app.close();
      await engine.close();
    }
  });

  it('adds constant labels, and unregisters what it registered', async () => {
    const engine = createEngine({ rules: RULES, logger: false });
    const registry = new Registry();
    const collector = collectOpenSergoMetrics(engine, { registry, prefix: 'gov_', labels: { app: 'shop' } });
    engine.enter(requestView('GET', '/foo', {}));
    const samples = parse(await registry.metrics());
    assert.equal(samples.get('gov_requests_total{resource="/foo",rule="my-rule",strategy="rate-limit-foo",kind="RateLimitStrategy",result="passed",app="shop"}'), 1);
    collector.unregister();
    assert.equal(await registry.metrics(), '\n');
    await engine.close();
  });

  it("writes valid series with the registry's default labels, and on an OpenMetrics registry", async () => {
    const { engine, registry } = setup();
    registry.setDefaultLabels({ pod: 'web-1', app: 'from-registry' });
    const text = await registry.metrics();
    const samples = parse(text);
    assert.equal(samples.get(`opensergo_requests_total{resource="/foo",rule="my-rule",strategy="rate-limit-foo",kind="RateLimitStrategy",result="blocked",pod="web-1",app="from-registry"}`), 20);
    assert.equal(samples.get(`opensergo_request_duration_seconds_bucket{${fragileTarget},le="0.025",pod="web-1",app="from-registry"}`), 2);
    assert.equal(samples.get('opensergo_rules_applied_timestamp_seconds{pod="web-1",app="from-registry"}') !== undefined, true);
    for (const line of text.split('\n')) if (line !== '' && !line.startsWith('#')) assert.match(line, /^[a-z_]+\{[^{}]*\} [-+0-9.e]+$|^[a-z_]+ [-+0-9.e]+$/, line);

    const open = new Registry<OpenMetricsContentType>();
    open.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    collectOpenSergoMetrics(engine, { registry: open, labels: { app: 'shop' } });
    const openText = await open.metrics();
    const openSamples = parse(openText);
    assert.match(openText, /^# TYPE opensergo_requests counter$/m);
    assert.equal(openSamples.get(`${foo('blocked').replace('}', ',app="shop"}')}`), 20);
    assert.equal(openSamples.get('opensergo_store_late_decisions_total{store="memory",decided="refused",app="shop"}'), 3);
    assert.equal(openSamples.get(`opensergo_request_failures_total{${fragileTarget},app="shop"}`), 2);
    await engine.close();
  });

  it("passes promtool's check with every strategy, dry run, per-client limits, a store down and hostile names", async () => {
    const names = ['quote"d', 'back\\slash', 'new\nline', 'ünï€😀', '<img src=x onerror=alert(1)>', '</script>'];
    const doc = (kind: string, name: string, spec: string, dry = false): string =>
      `apiVersion: ${FT}\nkind: ${kind}\nmetadata: { name: ${JSON.stringify(name)}${dry ? ', annotations: { opensergo.io/dry-run: "true" }' : ''} }\nspec: ${spec}`;
    const docs = names.flatMap((n, i) => {
      const target = JSON.stringify(`/r${i}/${n}`);
      return [
        doc('RateLimitStrategy', `rl ${n}`, '{ metricType: RequestAmount, limitMode: Local, threshold: 1, statDuration: 10s }'),
        doc('RateLimitStrategy', `client ${n}`, '{ metricType: RequestAmount, limitMode: Local, threshold: 1, statDuration: 10s, limitBy: { type: header, key: x-user } }'),
        doc('CircuitBreakerStrategy', `cb ${n}`, "{ strategy: ErrorRequestRatio, triggerRatio: '50%', statDuration: 10s, recoveryTimeout: 1s, minRequestAmount: 1 }"),
        doc('ConcurrencyLimitStrategy', `cc ${n}`, '{ maxConcurrency: 3, limitMode: Local }'),
        doc('ThrottlingStrategy', `th ${n}`, '{ minIntervalOfRequests: 10ms, queueTimeout: 1s }'),
        doc('AdaptiveOverloadProtectionStrategy', `ad ${n}`, "{ metricType: CpuPercentage, triggerThreshold: '80%', adaptiveStrategy: NONE }"),
        doc('FaultToleranceRule', `rule ${n}`, `{ targets: [{ targetResourceName: ${target} }], strategies: ${JSON.stringify(['rl', 'client', 'cb', 'cc', 'th', 'ad'].map((s) => ({ name: `${s} ${n}` })))} }`),
        doc('FaultToleranceRule', `dry ${n}`, `{ targets: [{ targetResourceName: ${JSON.stringify(`/dry${i}/${n}`)} }], strategies: [{ name: ${JSON.stringify(`rl ${n}`)} }] }`, true),
      ];
    });
    const clock = new FakeClock(1_000);
    const engine = createEngine({ rules: docs.join('\n---\n'), clock, logger: false, outcomeMetrics: 'all' });
    const registry = new Registry();
    collectOpenSergoMetrics(engine, { registry, labels: { app: 'a "quoted\\ app\nname' } });
    names.forEach((_, i) => {
      for (let k = 0; k < 3; k++) {
        const d = engine.enter(requestView('GET', `/r${i}/${names[i]}`, { 'x-user': `user-${k}` }));
        if (!(d instanceof Promise) && d.type === 'pass' && d.entry) {
          clock.advance(7);
          d.entry.exit({ type: 'finished', statusCode: 503 });
        }
        engine.enter(requestView('GET', `/dry${i}/${names[i]}`, {}));
      }
    });
    engine.events.emit('store:state', { store: 'memory', available: false, reason: 'down' });
    const text = await registry.metrics();
    const samples = parse(text);
    assert.equal(samples.get(`opensergo_requests_total{resource="/r0/quote\\"d",rule="rule quote\\"d",strategy="cb quote\\"d",kind="CircuitBreakerStrategy",result="blocked",app="a \\"quoted\\\\ app\\nname"}`), 2);
    assert.equal(samples.get(`opensergo_requests_total{resource="/dry2/new\\nline",rule="dry new\\nline",strategy="rl new\\nline",kind="RateLimitStrategy",result="would_block",app="a \\"quoted\\\\ app\\nname"}`), 2);
    execFileSync(process.env['PROMTOOL_PATH'] ?? 'promtool', ['check', 'metrics'], { input: text });
    registry.setDefaultLabels({ pod: 'web-1' });
    execFileSync(process.env['PROMTOOL_PATH'] ?? 'promtool', ['check', 'metrics'], { input: await registry.metrics() });
    await engine.close();
  });

  it('refuses a second collector under the same names on one registry', async () => {
    const engine = createEngine({ rules: RULES, logger: false });
    const registry = new Registry();
    collectOpenSergoMetrics(engine, { registry });
    assert.throws(() => collectOpenSergoMetrics(engine, { registry }), /already been registered/);
    await engine.close();
  });
});
