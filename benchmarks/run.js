#!/usr/bin/env node
// HTTP benchmark: bare Express/Koa/Fastify vs @opensergo/* vs the peer rate limiters.
//
//   node benchmarks/run.js                 all frameworks (~6 min)
//   node benchmarks/run.js --quick         fewer, shorter rounds (~2 min), for a smoke check
//   node benchmarks/run.js express koa     only these frameworks
//   node benchmarks/run.js fastify:combo   only this scenario (bare always runs: it is the baseline)
//   options: --rounds N  --duration S  --warmup S
//            --no-pin (by default, on Linux with taskset, the servers run on CPU 0 and the load on CPU 1)
//            --profile DIR (V8 CPU profiles of the server children, written when they exit)
//
// Servers run in child processes (one per scenario, started up front and idle between
// turns); autocannon runs here. Rounds interleave the scenarios (bare, ours, peer, bare, …)
// and the tables report medians. Needs the built packages: `npm run build` first.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { hammer, LOAD } from './lib/load.js';
import { machine } from './lib/machine.js';
import { pin } from './lib/pin.js';
import { printTable, writeResults } from './lib/report.js';
import { FRAMEWORKS, scenariosFor } from './lib/scenarios.js';
import { startServer } from './lib/server-process.js';
import { summarise } from './lib/summary.js';

const { values: opts, positionals: filters } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    'no-pin': { type: 'boolean', default: false },
    profile: { type: 'string' },
  },
});
// Many short rounds rather than a few long ones: on a shared machine throughput swings over
// seconds, and pairing each variant with the bare run of the same round cancels more of it.
const rounds = Number(opts.rounds ?? (opts.quick ? 3 : 10));
const seconds = Number(opts.duration ?? (opts.quick ? 1 : 1.2));
const warmup = Number(opts.warmup ?? (opts.quick ? 1 : 2));

if (!existsSync(new URL('../packages/core/dist/index.js', import.meta.url))) {
  console.error('The packages are not built: run `npm run build` (or `npm run bench`) first.');
  process.exit(1);
}

const wanted = (s) =>
  s.id === 'bare' || !filters.length || filters.some((f) => f === s.framework || f === `${s.framework}:${s.id}` || f === s.id);
const frameworks = Object.keys(FRAMEWORKS).filter((fw) => scenariosFor(fw).some((s) => s.id !== 'bare' && wanted(s)));
if (!frameworks.length) {
  console.error(`Nothing matches ${filters.join(' ')}. Frameworks: ${Object.keys(FRAMEWORKS).join(', ')}.`);
  process.exit(1);
}

const pinned = !opts['no-pin'] && pin(process.pid, '1');
const serverOptions = { ...(pinned ? { cpu: '0' } : {}), ...(opts.profile ? { profileDir: opts.profile } : {}) };
const results = { machine: machine(), load: { ...LOAD, rounds, seconds, warmup, pinned }, frameworks: {} };
console.log(`# OpenSergo HTTP benchmark — ${results.machine.cpu}, Node ${results.machine.node}, load avg ${results.machine.loadAverage.join(' ')}`);
console.log(`${rounds} rounds × ${seconds}s per scenario after ${warmup}s warm-up; ${LOAD.connections} connections; medians.`);

for (const framework of frameworks) {
  const runs = [];
  try {
    for (const scenario of scenariosFor(framework).filter(wanted)) {
      const server = await startServer(scenario, serverOptions);
      runs.push({ scenario, server, samples: [], warnings: server.warnings, startupMs: server.startupMs });
    }
    for (const run of runs) await hammer(run.server, warmup);
    for (let round = 1; round <= rounds; round++) {
      process.stderr.write(`\r${framework}: round ${round}/${rounds} `);
      for (const run of runs) run.samples.push(await hammer(run.server, seconds));
    }
    process.stderr.write('\n');
  } finally {
    await Promise.all(runs.map((r) => r.server.close()));
  }
  const lines = summarise(framework, runs);
  printTable(framework, lines);
  results.frameworks[framework] = lines;
}

results.machine.loadAverageAfter = machine().loadAverage;
console.log(`\nResults: ${writeResults('http', results)}`);
console.log(
  '× bare and +µs/req: medians of per-round pairs (IQR: their interquartile range). CPU: the server process\'s own ' +
    'CPU time per request; CPU × bare = bare CPU / variant CPU. Verdicts: "met"/"MISSED" when the whole IQR is on one ' +
    'side of the target, "(noise)" when the IQR straddles it.',
);
