#!/usr/bin/env node
// Bytes allocated per request by each server, under the same autocannon load as run.js:
// what the middleware hands the garbage collector. Unlike requests/s on these shared
// machines, this figure repeats to within ~50 bytes of Express's ~27 KB between runs, so it
// shows changes that throughput noise would hide.
//
//   node benchmarks/alloc.js               all frameworks (~3 min)
//   node benchmarks/alloc.js express       one framework
//   options: --rounds N (default 2)  --duration S (default 2)
//
// Counted in the server child (lib/server-child.js): heap growth between garbage
// collections (v8.GCProfiler) over the requests Node served meanwhile. Needs the built
// packages: `npm run build` first.
import { parseArgs } from 'node:util';
import { hammer } from './lib/load.js';
import { machine } from './lib/machine.js';
import { inRounds } from './lib/order.js';
import { pin } from './lib/pin.js';
import { printRows, signed, writeResults } from './lib/report.js';
import { withFreshServers } from './lib/rounds.js';
import { FRAMEWORKS, scenariosFor } from './lib/scenarios.js';
import { median } from './lib/stats.js';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '2' }, duration: { type: 'string', default: '2' } },
});
const rounds = Number(opts.rounds);
const seconds = Number(opts.duration);
const WARMUP = 1.5;
const IDS = ['bare', 'noop', 'admit', 'many', 'combo', 'block', 'peer-admit', 'peer-block'];

const pinned = pin(process.pid, '1');
const fresh = { warmup: WARMUP, serverOptions: pinned ? { cpu: '0' } : {} };
const info = machine();
console.log(`# OpenSergo allocation per request — ${info.cpu}, Node ${info.node}`);
console.log(`${rounds} rounds × ${seconds}s per server, each in a fresh process after ${WARMUP} s warm-up; 10 connections; medians.`);

const results = { machine: info, rounds, seconds, frameworks: {} };
for (const framework of Object.keys(FRAMEWORKS).filter((fw) => !positionals.length || positionals.includes(fw))) {
  const runs = scenariosFor(framework)
    .filter((s) => IDS.includes(s.id))
    .map((scenario) => ({ scenario, bytes: [] }));
  const measurements = runs.map((run) => () =>
    withFreshServers([run.scenario], fresh, async ([server]) => {
      await server.startAllocation();
      await hammer(server, seconds);
      const { bytes, requests } = await server.stopAllocation();
      run.bytes.push(bytes / requests);
    }),
  );
  await inRounds(framework, rounds, measurements, (measure) => measure());

  const bare = median(runs.find((r) => r.scenario.id === 'bare').bytes);
  const noop = median(runs.find((r) => r.scenario.id === 'noop').bytes);
  const lines = runs.map(({ scenario, bytes }) => ({
    id: scenario.id,
    label: scenario.label,
    bytesPerRequest: median(bytes),
    addedBytes: median(bytes) - bare,
    beyondEmptyMiddlewareBytes: median(bytes) - noop,
  }));
  results.frameworks[framework] = { lines };
  const rows = [['scenario', 'bytes/req', '+ vs bare', 'beyond empty mw']];
  for (const l of lines) {
    rows.push([
      l.label,
      l.bytesPerRequest.toFixed(0),
      l.id === 'bare' ? '' : signed(l.addedBytes, 0),
      l.id === 'bare' || l.id === 'noop' ? '' : signed(l.beyondEmptyMiddlewareBytes, 0),
    ]);
  }
  console.log(`\n## ${framework}`);
  printRows(rows, [1, 2, 3]);
}
console.log(`\nResults: ${writeResults('alloc', results)}`);
console.log('bytes/req: heap allocated per request served (median over rounds); blocking rows skip the handler, so compare them with each other.');
