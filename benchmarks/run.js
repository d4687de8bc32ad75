#!/usr/bin/env node
// HTTP benchmark: bare Express/Koa/Fastify vs @opensergo/* vs the peer rate limiters.
//
//   node benchmarks/run.js                 all frameworks (~15 min with Redis)
//   node benchmarks/run.js --quick         fewer, shorter rounds (~4 min), for a smoke check
//   node benchmarks/run.js express koa     only these frameworks
//   node benchmarks/run.js fastify:combo   only this scenario (bare always runs: it is the baseline)
//   node benchmarks/run.js --paired        each scenario at the same time as a bare twin (see lib/rounds.js)
//   options: --rounds N  --duration S  --warmup S  --connections N  --pipelining N
//            --no-pin (by default, on Linux with taskset, the servers run on CPU 0 and the load on CPU 1)
//            --profile DIR (V8 CPU profiles of the server children, written when they exit)
//
// Every measurement runs in a fresh server process (child), warmed up and then measured
// while no other server runs (lib/rounds.js says why); autocannon runs here. Each round
// measures every scenario once, starting from a different scenario each round, and each
// variant is compared with the bare measurement of its round; the tables report medians.
// Needs the built packages: `npm run build` first.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { LOAD } from './lib/load.js';
import { measureFresh } from './lib/rounds.js';
import { inRounds } from './lib/order.js';
import { machine } from './lib/machine.js';
import { pin } from './lib/pin.js';
import { printTable, writeResults } from './lib/report.js';
import { FRAMEWORKS, scenariosFor } from './lib/scenarios.js';
import { summarise } from './lib/summary.js';

const { values: opts, positionals: filters } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    paired: { type: 'boolean', default: false },
    connections: { type: 'string' },
    pipelining: { type: 'string' },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    'no-pin': { type: 'boolean', default: false },
    profile: { type: 'string' },
  },
});
// Many short rounds rather than a few long ones: on a shared machine throughput swings over
// seconds, and pairing each variant with the bare run of the same round cancels more of it.
const rounds = Number(opts.rounds ?? (opts.quick ? 3 : 8));
const seconds = Number(opts.duration ?? (opts.quick ? 1 : opts.paired ? 1.5 : 1.2));
const warmup = Number(opts.warmup ?? (opts.quick ? 1 : 1.5));
if (opts.connections) LOAD.connections = Number(opts.connections);
if (opts.pipelining) LOAD.pipelining = Number(opts.pipelining);
const mode = opts.paired ? 'paired' : 'sequential';

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
const results = { machine: machine(), load: { ...LOAD, mode, rounds, seconds, warmup, pinned }, frameworks: {} };
console.log(`# OpenSergo HTTP benchmark — ${results.machine.cpu}, Node ${results.machine.node}, load avg ${results.machine.loadAverage.join(' ')}`);
console.log(
  `${mode}: ${rounds} rounds × ${seconds}s per scenario, each in a fresh process after ${warmup}s warm-up; ` +
    `${LOAD.connections} connections, pipelining ${LOAD.pipelining}${pinned ? '; servers on CPU 0, load on CPU 1' : ''}; medians.`,
);

for (const framework of frameworks) {
  const runs = scenariosFor(framework)
    .filter(wanted)
    .map((scenario) => ({ scenario, samples: [] }));
  const bare = runs[0].scenario;
  await inRounds(framework, rounds, runs, (run, round) =>
    measureFresh(run, { bare, paired: opts.paired, round, warmup, seconds, serverOptions }),
  );
  const lines = summarise(framework, runs);
  printTable(framework, lines);
  results.frameworks[framework] = lines;
}

results.machine.loadAverageAfter = machine().loadAverage;
console.log(`\nResults: ${writeResults('http', results)}`);
console.log(
  (opts.paired ? 'Paired: every row is against its own bare twin running at the same time on the same CPU (the bare row is an A/A check). ' : '') +
  '× bare and +µs/req: medians of per-round pairs (IQR: their interquartile range). CPU: the server process\'s own ' +
    'CPU time per request; CPU × bare = bare CPU / variant CPU. Verdicts: "met"/"MISSED" when the whole IQR is on one ' +
    'side of the target, "(noise)" when the IQR straddles it.',
);
