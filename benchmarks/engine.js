#!/usr/bin/env node
// The engine alone, no HTTP: enter(requestView(...)) + entry.exit(...) per call, beside
// opossum's fire() in the same process and run.
//
//   node benchmarks/engine.js            (~30 s)
//   node benchmarks/engine.js --quick    (~8 s)
//
// Needs the built packages: `npm run build` first.
import { parseArgs } from 'node:util';
import CircuitBreaker from 'opossum';
import { createEngine, requestView } from '@opensergo/core';
import { machine } from './lib/machine.js';
import { runInterleaved } from './lib/microbench.js';
import { printRows, writeResults } from './lib/report.js';
import { admitRules, blockRules, breaker, comboRules, join, manyRules, rule, ROUTE } from './lib/rules.js';

const { values: opts } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const timing = opts.quick ? { rounds: 3, ms: 250, warmupMs: 200 } : { rounds: 7, ms: 600, warmupMs: 500 };

const HEADERS = { host: '127.0.0.1', 'user-agent': 'bench', accept: '*/*' };
const FINISHED = { type: 'finished', statusCode: 200 };
const FAILED = { type: 'failed', error: new Error('boom'), statusCode: 500 };

function engineWith(rules) {
  const warnings = [];
  const logger = { info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
  return { engine: createEngine({ rules, logger }), warnings };
}

/** One request through the engine: enter, and exit with `outcome` when admitted with an entry. */
function call(engine, path, outcome = FINISHED) {
  const decision = engine.enter(requestView('GET', path, HEADERS));
  if (decision.type === 'pass') decision.entry?.exit(outcome);
  return decision;
}

/** A breaker tripped open for an hour: 10 failures with minRequestAmount 5. */
function openBreaker() {
  const setup = engineWith(join([breaker({ minRequestAmount: 5, recoveryTimeout: '3600s' }), rule('bench', ROUTE, ['bench-breaker'])]));
  for (let i = 0; i < 10; i++) call(setup.engine, ROUTE, FAILED);
  return { ...setup, open: call(setup.engine, ROUTE).type === 'block' };
}

const closedBreaker = engineWith(join([breaker(), rule('bench', ROUTE, ['bench-breaker'])]));
const trippedBreaker = openBreaker();
const engines = {
  none: engineWith(admitRules()),
  admit: engineWith(admitRules()),
  many: engineWith(manyRules(10_000)),
  block: engineWith(blockRules()),
  combo: engineWith(comboRules()),
};
call(engines.block.engine, ROUTE); // uses the one admission of the window

const ok = () => Promise.resolve('ok');
const fail = () => Promise.reject(new Error('boom'));
const opossumOk = new CircuitBreaker(ok);
// Failing calls with the breaker kept closed; opossum's default rolling percentiles re-sort
// every latency of the window on each failure, so a variant without them is shown too.
const opossumFail = new CircuitBreaker(fail, { volumeThreshold: Number.MAX_SAFE_INTEGER });
const opossumFailLean = new CircuitBreaker(fail, { volumeThreshold: Number.MAX_SAFE_INTEGER, rollingPercentilesEnabled: false });
const opossumOpen = new CircuitBreaker(fail);
opossumOpen.open();
const opossums = [opossumOk, opossumFail, opossumFailLean, opossumOpen];
for (const b of opossums.slice(1)) b.on('failure', () => {}).on('reject', () => {});
const swallow = (p) => p.catch(() => {});

const breakerNote = (setup) => (setup.warnings.some((w) => w.includes('not enforced')) ? 'breaker NOT ENFORCED by this build' : '');
const cases = [
  { name: 'engine: no rule matches the path', fn: () => call(engines.none.engine, '/unguarded') },
  { name: 'engine: rate limit, admitted', fn: () => call(engines.admit.engine, ROUTE) },
  { name: 'engine: rate limit, admitted, +10,000 rules', fn: () => call(engines.many.engine, ROUTE) },
  { name: 'engine: rate limit, rejected', fn: () => call(engines.block.engine, ROUTE) },
  { name: 'engine: breaker (closed), admitted + exit', fn: () => call(closedBreaker.engine, ROUTE), note: breakerNote(closedBreaker) },
  {
    name: 'engine: breaker (open), rejected',
    fn: () => call(trippedBreaker.engine, ROUTE),
    note: trippedBreaker.open ? '' : `did not open: ${breakerNote(trippedBreaker) || 'check the breaker'}; figure is an admission`,
  },
  { name: 'engine: rate+concurrency+breaker, admitted + exit', fn: () => call(engines.combo.engine, ROUTE), note: breakerNote(engines.combo) },
  { name: 'opossum: fire(), resolved (successful)', fn: () => opossumOk.fire(), async: true, note: 'defaults' },
  { name: 'opossum: fire(), rejected (failing, closed)', fn: () => swallow(opossumFail.fire()), async: true, note: 'defaults' },
  {
    name: 'opossum: fire(), rejected, no percentiles',
    fn: () => swallow(opossumFailLean.fire()),
    async: true,
    note: 'rollingPercentilesEnabled: false',
  },
  { name: 'opossum: fire(), open (rejected at once)', fn: () => swallow(opossumOpen.fire()), async: true },
];

const info = machine();
console.log(`# Engine benchmark — ${info.cpu}, Node ${info.node}, load avg ${info.loadAverage.join(' ')}`);
console.log(`${timing.rounds} rounds × ${timing.ms} ms per case, interleaved; medians.\n`);
const results = await runInterleaved(cases, timing);
const rows = results.map((r, i) => [r.name, r.nsPerCall.toFixed(0), Math.round(r.callsPerSecond).toLocaleString('en-US'), cases[i].note ?? '']);
printRows([['case', 'ns/call', 'calls/s', 'note'], ...rows], [1, 2]);
console.log('\nReferences (issue 3): opossum ~1.08 M successful and 217 k failing calls/s; sentinel-golang ~263–309 ns per entry.');
console.log(`Results: ${writeResults('engine', { machine: info, timing, results: results.map((r, i) => ({ ...r, note: cases[i].note })) })}`);
for (const e of [...Object.values(engines), closedBreaker, trippedBreaker]) await e.engine.close();
for (const b of opossums) b.shutdown();
