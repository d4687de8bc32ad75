#!/usr/bin/env node
// Outgoing calls: CPU time per call of a client sending keep-alive requests to local servers
// through a plain undici Agent, and through @opensergo/client's createDispatcher propagating a
// label (the calls run in a request context labelled `gray`) and routing among three
// instances; and fetch() through a plain Agent beside fetch() through createDispatcher
// governing the call (rate limit + concurrency limit + circuit breaker on its target
// `GET:http://127.0.0.1:<port>/**`), in the same run, rounds interleaved. The servers run in
// another process.
//
//   node benchmarks/outgoing.js              (~40 s)
//   node benchmarks/outgoing.js --quick      (~10 s)
//   options: --rounds N  --calls N (per round and variant)  --concurrency N
//
// A second table times the dispatcher's own work per call without the network (dispatch()
// handing the routed call to a sender that drops it, or that answers it at once so that a
// governed call ends), in CPU time, the figure the HTTP one cannot resolve on a shared machine.
//
// Needs the built packages: `npm run build` first.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { Agent, Dispatcher, fetch, request } from 'undici';
import { createEngine, runInContext } from '@opensergo/core';
import { createDispatcher } from '@opensergo/client';
import { machine } from './lib/machine.js';
import { runInterleaved } from './lib/microbench.js';
import { median, spread } from './lib/stats.js';
import { writeResults } from './lib/report.js';
import { breaker, concurrencyLimit, join, rateLimit, rule } from './lib/rules.js';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    calls: { type: 'string' },
    concurrency: { type: 'string', default: '8' },
  },
});
const rounds = Number(opts.rounds ?? (opts.quick ? 4 : 12));
const calls = Number(opts.calls ?? (opts.quick ? 5_000 : 20_000));
const concurrency = Number(opts.concurrency);

const child = spawn(process.execPath, [new URL('./lib/instances-child.js', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'] });
const [line] = await once(child.stdout, 'data');
const ports = JSON.parse(String(line));

const engine = createEngine({ logger: false });
const plain = new Agent({ connections: concurrency });
const governed = createDispatcher({
  engine,
  dispatcher: new Agent({ connections: concurrency }),
  instances: { backend: ports.map((port) => ({ url: `http://127.0.0.1:${port}` })) },
});
const gray = { resource: '/index', trafficLabel: 'gray', trafficLabels: ['gray'] };
// A rule on the call's own target: every strategy that follows a call to its end, none refusing.
const target = `GET:http://127.0.0.1:${ports[0]}/**`;
const governing = createEngine({
  logger: false,
  rules: join([rateLimit('out-rate', 1_000_000_000), concurrencyLimit('out-conc'), breaker({ name: 'out-breaker' }), rule('outgoing', target, ['out-rate', 'out-conc', 'out-breaker'])]),
});
const plainFetch = new Agent({ connections: concurrency });
const governedFetch = createDispatcher({ engine: governing, dispatcher: new Agent({ connections: concurrency }) });
const direct = `http://127.0.0.1:${ports[0]}/users`;

const dump = async (pending) => void (await (await pending).body.dump());
const read = async (pending) => void (await (await pending).arrayBuffer());
const variants = {
  'plain undici Agent': () => dump(request(direct, { dispatcher: plain })),
  'createDispatcher (label, 3 instances)': () => dump(runInContext(gray, () => request('http://backend/users', { dispatcher: governed }))),
  'fetch, plain Agent': () => read(fetch(direct, { dispatcher: plainFetch })),
  'fetch, createDispatcher governing the call (rate + concurrency + breaker)': () => read(fetch(direct, { dispatcher: governedFetch })),
};
/** Each measured variant beside the one it adds to. */
const pairs = [
  ['plain undici Agent', 'createDispatcher (label, 3 instances)'],
  ['fetch, plain Agent', 'fetch, createDispatcher governing the call (rate + concurrency + breaker)'],
];

/** CPU µs per call (user + system) for `n` calls with `concurrency` in flight. */
async function measure(send, n) {
  let left = n;
  const started = process.cpuUsage();
  const worker = async () => {
    while (left-- > 0) await send();
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const used = process.cpuUsage(started);
  return (used.user + used.system) / n;
}

for (const send of Object.values(variants)) await measure(send, Math.min(calls, 5_000)); // warm up
const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
const ratios = pairs.map(() => []);
for (let round = 0; round < rounds; round++) {
  const names = round % 2 ? Object.keys(variants).reverse() : Object.keys(variants);
  const got = {};
  for (const name of names) got[name] = await measure(variants[name], calls);
  for (const name of names) samples[name].push(got[name]);
  pairs.forEach(([base, ours], i) => ratios[i].push(got[ours] / got[base]));
}

console.log(`# Outgoing calls — ${machine().cpu}, Node ${process.version}; ${rounds} rounds × ${calls} calls, ${concurrency} in flight; CPU time of the client per call, medians`);
console.log(`| variant | CPU µs/call | spread |`);
console.log(`|---|---|---|`);
for (const name of Object.keys(variants)) console.log(`| ${name} | ${median(samples[name]).toFixed(2)} | ${(spread(samples[name]) * 100).toFixed(0)}% |`);
pairs.forEach(([base, ours], i) => {
  const added = median(samples[ours]) - median(samples[base]);
  console.log(`\n${ours}: adds ${added.toFixed(2)} µs of CPU per call to "${base}"; ratio ${median(ratios[i]).toFixed(3)} (median of the per-round ratios; target: ≤ 2 µs added)`);
});
const ownWork = () => own;

// The dispatcher's own work: what it does between the caller's dispatch() and its sender's.
class Drop extends Dispatcher {
  dispatch() {
    return true;
  }
  async close() {}
  async destroy() {}
}
const dropped = createDispatcher({ engine, dispatcher: new Drop(), instances: { backend: ports.map((port) => ({ url: `http://127.0.0.1:${port}` })) } });
// Answers every call at once (200, no body), so that governed calls end and give back their permits.
class Answer extends Dispatcher {
  dispatch(_options, handler) {
    handler.onConnect?.(() => {});
    handler.onHeaders?.(200, [], () => {}, 'OK');
    handler.onComplete?.([]);
    return true;
  }
  async close() {}
  async destroy() {}
}
const answered = createDispatcher({ engine: governing, dispatcher: new Answer() });
const answeredPlain = createDispatcher({ engine, dispatcher: new Answer() });
const handler = { onConnect() {}, onHeaders() {}, onData() {}, onComplete() {}, onError() {} };
const options = (origin) => ({ origin, path: '/users', method: 'GET', headers: { accept: '*/*', 'user-agent': 'bench' } });
const plainOptions = options(`http://127.0.0.1:${ports[0]}`);
const routedOptions = options('http://backend');
// CPU time, not wall time: the machine this runs on is often shared.
const timing = opts.quick ? { rounds: 3, ms: 250, warmupMs: 200, cpu: true } : { rounds: 7, ms: 600, warmupMs: 500, cpu: true };
const own = await runInterleaved(
  [
    { name: 'dispatch, no context (routing only)', fn: () => dropped.dispatch(routedOptions, handler) },
    { name: 'dispatch, labelled context (propagate + route)', fn: () => runInContext(gray, () => dropped.dispatch(routedOptions, handler)) },
    { name: 'dispatch, unknown host (passed through)', fn: () => dropped.dispatch(plainOptions, handler) },
    { name: 'dispatch, no rule for the call, answered', fn: () => answeredPlain.dispatch(plainOptions, handler) },
    { name: 'dispatch, governed (rate + concurrency + breaker), answered', fn: () => answered.dispatch(plainOptions, handler) },
  ],
  timing,
);
console.log(`\n| the dispatcher's own work, no network | ns/call | spread |`);
console.log(`|---|---|---|`);
for (const { name, nsPerCall, samples: ns } of own) console.log(`| ${name} | ${nsPerCall.toFixed(0)} | ${(spread(ns) * 100).toFixed(0)}% |`);

writeResults('outgoing', { machine: machine(), rounds, calls, concurrency, samples, ratios, ownWork: ownWork() });
await dropped.close();
await answered.close();
await answeredPlain.close();
await governedFetch.close();
await plainFetch.close();
await governing.close();
await governed.close();
await plain.close();
await engine.close();
child.kill('SIGTERM');
