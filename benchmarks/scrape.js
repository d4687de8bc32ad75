#!/usr/bin/env node
// How long a Prometheus scrape takes with 1,000 governed resources (issue 18: under 50 ms).
//   node benchmarks/scrape.js [--resources 1000] [--runs 30] [--breakers]
// Each resource has a rate limit (one row) or, with --breakers, a rate limit and a circuit
// breaker (two rows, breaker states and response-time histograms included); all have traffic.
// Needs the built packages: `npm run build` first.
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { createEngine, requestView } from '@opensergo/core';
import { collectOpenSergoMetrics } from '@opensergo/prometheus';

const { values } = parseArgs({ options: { resources: { type: 'string', default: '1000' }, runs: { type: 'string', default: '30' }, breakers: { type: 'boolean', default: false } } });
const resources = Number(values.resources);
const runs = Number(values.runs);
const FT = 'fault-tolerance.opensergo.io/v1alpha1';

let rules = `apiVersion: ${FT}
kind: RateLimitStrategy
metadata: { name: limit }
spec: { metricType: RequestAmount, limitMode: Local, threshold: 5, statDuration: 1s }
---
apiVersion: ${FT}
kind: CircuitBreakerStrategy
metadata: { name: breaker }
spec: { strategy: ErrorRequestRatio, triggerRatio: 50%, statDuration: 10s, recoveryTimeout: 5s, minRequestAmount: 1000 }
`;
for (let i = 0; i < resources; i++) {
  rules += `---
apiVersion: ${FT}
kind: FaultToleranceRule
metadata: { name: rule-${i} }
spec: { targets: [{ targetResourceName: /r/${i} }], strategies: [{ name: limit }${values.breakers ? ', { name: breaker }' : ''}] }
`;
}
const engine = createEngine({ rules, logger: false, watch: false });
const registry = new Registry();
collectOpenSergoMetrics(engine, { registry });
for (let i = 0; i < resources; i++) {
  for (let j = 0; j < 8; j++) {
    const d = engine.enter(requestView('GET', `/r/${i}`, {}));
    if (d.type === 'pass') d.entry?.exit({ type: 'finished', statusCode: 200 });
  }
}

// Wall time, and this process's CPU time, which a machine shared with other work inflates less.
const times = [];
const cpu = [];
let bytes = 0;
for (let i = 0; i < runs + 3; i++) {
  const start = performance.now();
  const used = process.cpuUsage();
  const text = await registry.metrics();
  const ms = performance.now() - start;
  const { user, system } = process.cpuUsage(used);
  const cpuMs = (user + system) / 1000;
  if (i >= 3) times.push(ms), cpu.push(cpuMs); // the first scrapes warm the JIT up
  bytes = text.length;
}
cpu.sort((a, b) => a - b);
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
const p90 = times[Math.floor(times.length * 0.9)];
console.log(
  `scrape of ${resources} resources (${engine.metrics().resources.length} rows, ${(bytes / 1024).toFixed(0)} KiB): ` +
    `median ${median.toFixed(1)} ms, p90 ${p90.toFixed(1)} ms, min ${times[0].toFixed(1)} ms over ${runs} scrapes; ` +
    `CPU median ${cpu[Math.floor(cpu.length / 2)].toFixed(1)} ms, min ${cpu[0].toFixed(1)} ms (target < 50 ms; load average ${(await import('node:os')).loadavg()[0].toFixed(1)})`,
);
await engine.close();
