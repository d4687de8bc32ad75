#!/usr/bin/env node
// guard(name, fn) beside calling fn directly, opossum's fire() and cockatiel's circuit breaker
// policy execute(), in one process and run, cases interleaved. Every breaker is configured
// alike: error ratio 50% over a sliding window, never tripping on the admitting path (the
// calls succeed); opened by hand (or by failures) for the open path. Each "call" is an async
// function resolving at once, so the figures are what each library adds to a call.
//
//   node benchmarks/guard.js            (~40 s)
//   node benchmarks/guard.js --quick    (~10 s)
//
// Needs the built packages: `npm run build` first.
import { parseArgs } from 'node:util';
import CircuitBreaker from 'opossum';
import { circuitBreaker, handleAll, isBrokenCircuitError, SamplingBreaker } from 'cockatiel';
import { createEngine } from '@opensergo/core';
import { machine } from './lib/machine.js';
import { runInterleaved } from './lib/microbench.js';
import { printRows, writeResults } from './lib/report.js';
import { breaker, join } from './lib/rules.js';

const { values: opts } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
// CPU time per call, not wall time: the machine this runs on is often shared.
const timing = opts.quick ? { rounds: 3, ms: 250, warmupMs: 200, cpu: true } : { rounds: 9, ms: 500, warmupMs: 500, cpu: true };

const RESOURCE = 'db:bench';
const rule = (target, strategies) => `apiVersion: fault-tolerance.opensergo.io/v1alpha1
kind: FaultToleranceRule
metadata: { name: guard-bench }
spec:
  targets: [{ targetResourceName: '${target}' }]
  strategies: [${strategies.map((s) => `{ name: ${s} }`).join(', ')}]
`;

const ok = () => Promise.resolve('ok');
const fail = () => Promise.reject(new Error('boom'));
const swallow = (p) => p.catch(() => {});

// ours: a closed breaker (admitting), and one tripped open for an hour by failures
const closed = createEngine({ rules: join([breaker(), rule(RESOURCE, ['bench-breaker'])]), logger: false });
const tripped = createEngine({ rules: join([breaker({ minRequestAmount: 5, recoveryTimeout: '3600s' }), rule(RESOURCE, ['bench-breaker'])]), logger: false });
for (let i = 0; i < 10; i++) await swallow(tripped.guard(RESOURCE, fail));
const trippedOpen = await tripped.guard(RESOURCE, ok, { fallback: () => 'open' }) === 'open';

// opossum: same ratio and window; `timeout: false` since a timeout is a timer per call, which
// guard does not set (its slow-call ratio is measured from the clock); defaults shown too
const opossumOptions = { errorThresholdPercentage: 50, rollingCountTimeout: 1000, volumeThreshold: 1_000_000 };
const opossumDefault = new CircuitBreaker(ok);
const opossumLean = new CircuitBreaker(ok, { ...opossumOptions, timeout: false });
const opossumOpen = new CircuitBreaker(ok, { ...opossumOptions, timeout: false });
opossumOpen.open();
const opossumOpenFallback = new CircuitBreaker(ok, { ...opossumOptions, timeout: false });
opossumOpenFallback.fallback(() => 'open');
opossumOpenFallback.open();
for (const b of [opossumOpen, opossumOpenFallback]) b.on('reject', () => {});

// cockatiel: a SamplingBreaker (ratio over a sliding window), the closest to ErrorRequestRatio
const sampling = () => new SamplingBreaker({ threshold: 0.5, duration: 1000, minimumRps: 1_000_000 });
const cockatielClosed = circuitBreaker(handleAll, { halfOpenAfter: 3_600_000, breaker: sampling() });
const cockatielOpen = circuitBreaker(handleAll, { halfOpenAfter: 3_600_000, breaker: sampling() });
cockatielOpen.isolate(); // held open
const cockatielRefused = (p) => p.catch((e) => (isBrokenCircuitError(e) || e?.name === 'IsolatedCircuitError' ? 'open' : Promise.reject(e)));

const cases = [
  { name: 'direct call: fn()', fn: () => ok(), async: true },
  { name: 'guard(name, fn), breaker closed', fn: () => closed.guard(RESOURCE, ok), async: true },
  { name: 'guard(name, fn), no rule for the name', fn: () => closed.guard('db:other', ok), async: true },
  { name: 'opossum fire(), closed', fn: () => opossumLean.fire(), async: true, note: 'timeout: false' },
  { name: 'opossum fire(), closed, defaults', fn: () => opossumDefault.fire(), async: true, note: 'timeout timer per call' },
  { name: 'cockatiel execute(), closed', fn: () => cockatielClosed.execute(ok), async: true, note: 'SamplingBreaker' },
  { name: 'guard, breaker open: rejects', fn: () => swallow(tripped.guard(RESOURCE, ok)), async: true, note: trippedOpen ? 'ERR_OPENSERGO_BLOCKED' : 'DID NOT OPEN' },
  { name: 'guard, breaker open: fallback', fn: () => tripped.guard(RESOURCE, ok, { fallback: () => 'open' }), async: true },
  { name: 'opossum fire(), open: rejects', fn: () => swallow(opossumOpen.fire()), async: true },
  { name: 'opossum fire(), open: fallback', fn: () => opossumOpenFallback.fire(), async: true },
  { name: 'cockatiel execute(), open: rejects', fn: () => cockatielRefused(cockatielOpen.execute(ok)), async: true, note: 'isolated' },
];

const info = machine();
console.log(`# guard benchmark — ${info.cpu}, Node ${info.node}, load avg ${info.loadAverage.join(' ')}`);
console.log(`${timing.rounds} rounds × ${timing.ms} ms per case, interleaved; medians of CPU time per call. Async calls fired 1000 at a time.\n`);
const results = await runInterleaved(cases, timing);
const direct = results[0].nsPerCall;
const rows = results.map((r, i) => [
  r.name,
  r.nsPerCall.toFixed(0),
  i === 0 ? '' : (r.nsPerCall - direct).toFixed(0),
  Math.round(r.callsPerSecond).toLocaleString('en-US'),
  cases[i].note ?? '',
]);
printRows([['case', 'ns/call', 'ns beyond fn()', 'calls/s', 'note'], ...rows], [1, 2, 3]);
console.log(`Results: ${writeResults('guard', { machine: info, timing, results: results.map((r, i) => ({ ...r, note: cases[i].note })) })}`);
await closed.close();
await tripped.close();
for (const b of [opossumDefault, opossumLean, opossumOpen, opossumOpenFallback]) b.shutdown();
cockatielClosed.dispose?.();
