#!/usr/bin/env node
// Outgoing calls: CPU time per call of a client sending keep-alive requests to local servers
// through a plain undici Agent, and through @opensergo/client's createDispatcher propagating a
// label (the calls run in a request context labelled `gray`) and routing among three
// instances, in the same run, rounds interleaved. The servers run in another process.
//
//   node benchmarks/outgoing.js              (~40 s)
//   node benchmarks/outgoing.js --quick      (~10 s)
//   options: --rounds N  --calls N (per round and variant)  --concurrency N
//
// A second table times the dispatcher's own work per call without the network (dispatch()
// handing the routed call to a sender that drops it), the figure the HTTP one cannot resolve
// on a shared machine.
//
// Needs the built packages: `npm run build` first.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { Agent, Dispatcher, request } from 'undici';
import { createEngine, runInContext } from '@opensergo/core';
import { createDispatcher } from '@opensergo/client';
import { machine } from './lib/machine.js';
import { runInterleaved } from './lib/microbench.js';
import { median, spread } from './lib/stats.js';
import { writeResults } from './lib/report.js';

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

const variants = {
  'plain undici Agent': () => request(`http://127.0.0.1:${ports[0]}/users`, { dispatcher: plain }),
  'createDispatcher (label, 3 instances)': () => runInContext(gray, () => request('http://backend/users', { dispatcher: governed })),
};

/** CPU µs per call (user + system) for `n` calls with `concurrency` in flight. */
async function measure(send, n) {
  let left = n;
  const started = process.cpuUsage();
  const worker = async () => {
    while (left-- > 0) {
      const { body } = await send();
      await body.dump();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const used = process.cpuUsage(started);
  return (used.user + used.system) / n;
}

for (const send of Object.values(variants)) await measure(send, Math.min(calls, 5_000)); // warm up
const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
const ratios = [];
for (let round = 0; round < rounds; round++) {
  const names = round % 2 ? Object.keys(variants).reverse() : Object.keys(variants);
  const got = {};
  for (const name of names) got[name] = await measure(variants[name], calls);
  for (const name of names) samples[name].push(got[name]);
  const [base, ours] = Object.keys(variants);
  ratios.push(got[ours] / got[base]);
}

const [base, ours] = Object.keys(variants);
const baseline = median(samples[base]);
const mine = median(samples[ours]);
console.log(`# Outgoing calls — ${machine().cpu}, Node ${process.version}; ${rounds} rounds × ${calls} calls, ${concurrency} in flight; CPU time of the client per call, medians`);
console.log(`| variant | CPU µs/call | spread |`);
console.log(`|---|---|---|`);
for (const name of Object.keys(variants)) console.log(`| ${name} | ${median(samples[name]).toFixed(2)} | ${(spread(samples[name]) * 100).toFixed(0)}% |`);
console.log(`\ncreateDispatcher adds ${(mine - baseline).toFixed(2)} µs of CPU per call; ratio to the plain Agent ${median(ratios).toFixed(3)} (median of the per-round ratios; target: ≤ 2 µs added)`);
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
const handler = { onConnect() {}, onHeaders() {}, onData() {}, onComplete() {}, onError() {} };
const options = (origin) => ({ origin, path: '/users', method: 'GET', headers: { accept: '*/*', 'user-agent': 'bench' } });
const plainOptions = options(`http://127.0.0.1:${ports[0]}`);
const routedOptions = options('http://backend');
const timing = opts.quick ? { rounds: 3, ms: 250, warmupMs: 200 } : { rounds: 7, ms: 600, warmupMs: 500 };
const own = await runInterleaved(
  [
    { name: 'dispatch, no context (routing only)', fn: () => dropped.dispatch(routedOptions, handler) },
    { name: 'dispatch, labelled context (propagate + route)', fn: () => runInContext(gray, () => dropped.dispatch(routedOptions, handler)) },
    { name: 'dispatch, unknown host (passed through)', fn: () => dropped.dispatch(plainOptions, handler) },
  ],
  timing,
);
console.log(`\n| the dispatcher's own work, no network | ns/call | spread |`);
console.log(`|---|---|---|`);
for (const { name, nsPerCall, samples: ns } of own) console.log(`| ${name} | ${nsPerCall.toFixed(0)} | ${(spread(ns) * 100).toFixed(0)}% |`);

writeResults('outgoing', { machine: machine(), rounds, calls, concurrency, samples, ratios, ownWork: ownWork() });
await dropped.close();
await governed.close();
await plain.close();
await engine.close();
child.kill('SIGTERM');
