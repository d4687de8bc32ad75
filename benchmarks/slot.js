#!/usr/bin/env node
// What the middleware costs a request, timed in place: each server has a stopwatch just
// before and just after the governed middleware (Fastify: onRequest hooks around ours), and
// reports the time between, request by request, under the same autocannon load as run.js.
// Throughput ratios on these shared machines swing ±10% between identical runs; this
// figure is a few microseconds timed inside one request, so the machine's swings barely
// touch it. Together with bare's CPU per request it gives the ratio a quiet machine would see.
//
//   node benchmarks/slot.js              all frameworks (~6 min)
//   node benchmarks/slot.js fastify      one framework
//   options: --rounds N (default 6)  --duration S (default 1.5)
//
// What it leaves out: work done after the response (the `close` listener and entry.exit of
// the combo — see engine.js for those), and garbage collection our allocations cause later.
// Needs the built packages: `npm run build` first.
import { parseArgs } from 'node:util';
import { hammer } from './lib/load.js';
import { machine } from './lib/machine.js';
import { pin } from './lib/pin.js';
import { printRows, writeResults } from './lib/report.js';
import { FRAMEWORKS, scenariosFor } from './lib/scenarios.js';
import { withFreshServers } from './lib/rounds.js';
import { inRounds } from './lib/order.js';
import { median } from './lib/stats.js';
import { targetFor } from './lib/targets.js';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '6' }, duration: { type: 'string', default: '1.5' } },
});
const rounds = Number(opts.rounds);
const seconds = Number(opts.duration);
const WARMUP = 1.5;
const SLOT_SCENARIOS = ['bare', 'noop', 'admit', 'many', 'combo', 'peer-admit'];

const pinned = pin(process.pid, '1');
const fresh = { warmup: WARMUP, serverOptions: pinned ? { cpu: '0' } : {} };
const info = machine();
console.log(`# OpenSergo middleware slot — ${info.cpu}, Node ${info.node}, load avg ${info.loadAverage.join(' ')}`);
console.log(`${rounds} rounds × ${seconds}s per server, each in a fresh process after ${WARMUP} s warm-up; 10 connections; medians${pinned ? '; servers on CPU 0, load on CPU 1' : ''}.`);

const results = { machine: info, rounds, seconds, frameworks: {} };
for (const framework of Object.keys(FRAMEWORKS).filter((fw) => !positionals.length || positionals.includes(fw))) {
  const all = scenariosFor(framework);
  // A plain bare server for the denominator (CPU per request with no stopwatch at all), and
  // every slot scenario with its stopwatch; "bare" with a stopwatch times the empty slot.
  // Each measurement in a fresh process, each round starting from a different one
  // (lib/rounds.js says why).
  const plain = all.find((s) => s.id === 'bare');
  const timed = all.filter((s) => SLOT_SCENARIOS.includes(s.id)).map((scenario) => ({ scenario: { ...scenario, stopwatch: true }, slots: [] }));
  const bareCpu = [];
  const bareGc = [];
  // Load, with GC time per request: collections of what a request allocated run later,
  // outside its slot.
  const hammerWithGc = async (server) => {
    await server.gc();
    const result = await hammer(server, seconds);
    return { result, gcMicros: ((await server.gc()).totalMs * 1000) / result.requests };
  };
  const measurements = [
    () =>
      withFreshServers([plain], fresh, async ([server]) => {
        const { result, gcMicros } = await hammerWithGc(server);
        bareCpu.push(result.cpuMicrosPerRequest);
        bareGc.push(gcMicros);
      }),
    ...timed.map((run) => () =>
      withFreshServers([run.scenario], fresh, async ([server]) => {
        await server.stopwatch();
        (run.gc ??= []).push((await hammerWithGc(server)).gcMicros);
        const { totalMs, count } = await server.stopwatch();
        run.slots.push((totalMs * 1000) / count);
      }),
    ),
  ];
  await inRounds(framework, rounds, measurements, (measure) => measure());

  const cpu = median(bareCpu);
  const empty = median(timed.find((t) => t.scenario.id === 'bare').slots);
  const noop = median(timed.find((t) => t.scenario.id === 'noop').slots);
  const emptyGc = median(timed.find((t) => t.scenario.id === 'bare').gc);
  const lines = timed.map(({ scenario, slots, gc }) => {
    const slot = median(slots);
    const added = slot - empty;
    const gcAdded = median(gc) - emptyGc;
    const target = targetFor(framework, scenario.id);
    return {
      id: scenario.id,
      label: scenario.id === 'bare' ? 'empty slot (the stopwatch itself)' : scenario.label,
      slotMicros: slot,
      addedMicros: added,
      beyondEmptyMiddlewareMicros: slot - noop,
      impliedRatio: cpu / (cpu + added),
      gcMicros: median(gc),
      gcAddedMicros: gcAdded,
      impliedRatioWithGc: cpu / (cpu + added + Math.max(0, gcAdded)),
      target: target?.against === 'bare' ? target.min : undefined,
    };
  });
  results.frameworks[framework] = { bareCpuMicros: cpu, bareGcMicros: median(bareGc), lines };

  const rows = [
    ['scenario', 'slot µs', 'middleware µs', 'beyond empty mw', `bare CPU ${cpu.toFixed(0)} µs → × bare`, 'GC µs/req', '+ GC → × bare', 'target'],
  ];
  for (const l of lines) {
    const isEmpty = l.id === 'bare';
    rows.push([
      l.label,
      l.slotMicros.toFixed(2),
      isEmpty ? '' : l.addedMicros.toFixed(2),
      isEmpty || l.id === 'noop' ? '' : l.beyondEmptyMiddlewareMicros.toFixed(2),
      isEmpty ? '' : l.impliedRatio.toFixed(3),
      l.gcMicros.toFixed(2),
      isEmpty ? '' : l.impliedRatioWithGc.toFixed(3),
      l.target === undefined ? '' : `≥ ${l.target}`,
    ]);
  }
  console.log(`\n## ${framework} (bare, no stopwatch: ${cpu.toFixed(1)} µs CPU and ${median(bareGc).toFixed(2)} µs GC per request)`);
  printRows(rows, [1, 2, 3, 4, 5, 6]);
}
console.log(`\nResults: ${writeResults('slot', results)}`);
console.log(
  'slot µs: median time between the stopwatch before and after the middleware; middleware µs: minus the empty slot; ' +
    '× bare: bare CPU / (bare CPU + middleware µs), the throughput ratio if this were all the middleware cost; ' +
    "GC µs/req: garbage-collection pauses per request, which fall outside the slot; + GC: the ratio with the GC time beyond the empty slot's added.",
);
