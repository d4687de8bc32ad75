#!/usr/bin/env node
// Per-client limits (issue 17), in one run:
//  1. the engine alone: a per-client rate limit admitting with 10 and with 100,000 distinct
//     client addresses in rotation, beside the plain (whole-target) limit admitting;
//  2. in the frameworks, in process (light-my-request, no sockets): Express bare, + OpenSergo
//     per client, + express-rate-limit; Fastify bare, + OpenSergo per client, +
//     @fastify/rate-limit; the peers keyed by IP, as they are by default; 10 and 100,000 clients;
//  3. retained heap per tracked client after 100,000 clients, each seen once (OpenSergo's
//     engine, and the peers' default stores fed the same keys), and after 1,000,000 distinct
//     clients against maxTrackedValues 100,000. Measured first, on a fresh heap.
//
//   node --expose-gc benchmarks/per-client.js            (~4 min)
//   node --expose-gc benchmarks/per-client.js --quick    (~1 min)
//
// Needs the built packages: `npm run build` first. Every limit is set far above what the run
// sends, so every request is admitted: the admitting path is the one every request pays.
import { parseArgs } from 'node:util';
import inject from 'light-my-request';
import express from 'express';
import Fastify from 'fastify';
import fastifyRateLimit from '@fastify/rate-limit';
import { rateLimit as expressRateLimit, MemoryStore } from 'express-rate-limit';
import { createRequire } from 'node:module';
import { createEngine, requestView } from '@opensergo/core';
import { opensergo as expressOpenSergo } from '@opensergo/express';
import { opensergo as fastifyOpenSergo } from '@opensergo/fastify';
import { machine } from './lib/machine.js';
import { runInterleaved } from './lib/microbench.js';
import { printRows, writeResults } from './lib/report.js';

const { values: opts } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const timing = opts.quick ? { rounds: 3, ms: 300, warmupMs: 200 } : { rounds: 7, ms: 800, warmupMs: 500 };
const API = 'fault-tolerance.opensergo.io/v1alpha1';
const HUGE = 1e9;

function rules(limitBy, maxTrackedValues = 100_000) {
  const perClient = limitBy ? `, limitBy: ${limitBy}, maxTrackedValues: ${maxTrackedValues}` : '';
  return `apiVersion: ${API}
kind: RateLimitStrategy
metadata: { name: bench }
spec: { metricType: RequestAmount, limitMode: Local, threshold: ${HUGE}, statDuration: 60s${perClient} }
---
apiVersion: ${API}
kind: FaultToleranceRule
metadata: { name: bench }
spec: { targets: [{ targetResourceName: '/bench' }], strategies: [{ name: bench }] }`;
}

/** `n` distinct client addresses (10.x.y.z). */
const addresses = (n) => Array.from({ length: n }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
const CLIENTS = { 10: addresses(10), 100_000: addresses(100_000) };
const HEADERS = { host: '127.0.0.1', 'user-agent': 'bench', accept: '*/*' };

/** A function calling `fn(address)` for the next client in rotation each time. */
function rotation(clients, fn) {
  let i = 0;
  return () => {
    const address = clients[i];
    i = i + 1 === clients.length ? 0 : i + 1;
    return fn(address);
  };
}

// 1. The engine alone. Views are built per call, as adapters do.
const quiet = { logger: false };
const plain = createEngine({ rules: rules(undefined), ...quiet });
const perClient = { 10: createEngine({ rules: rules('{ type: clientIp }'), ...quiet }), 100_000: createEngine({ rules: rules('{ type: clientIp }'), ...quiet }) };
const enter = (engine) => (address) => engine.enter(requestView('GET', '/bench', HEADERS, { remoteAddress: address }));
const engineCases = [
  { name: 'engine: plain rate limit, admitted', fn: rotation(CLIENTS[10], enter(plain)) },
  { name: 'engine: per-client (clientIp), 10 clients', fn: rotation(CLIENTS[10], enter(perClient[10])) },
  { name: 'engine: per-client (clientIp), 100,000 clients', fn: rotation(CLIENTS[100_000], enter(perClient[100_000])) },
];

// 2. In the frameworks, in process.
const ok = (_req, res) => res.end('ok');
function expressApp(middleware) {
  const app = express();
  if (middleware) app.use(middleware);
  app.get('/bench', ok);
  return app;
}
const closing = [];
function expressGovernance(limitBy) {
  const governance = expressOpenSergo({ rules: rules(limitBy), ...quiet });
  closing.push(governance.engine);
  return governance;
}
const express_ = {
  bare: expressApp(),
  opensergo: expressApp(expressGovernance('{ type: clientIp }')),
  // express-rate-limit 8's defaults (keyed by req.ip, /56 for IPv6, its MemoryStore), a limit never reached.
  peer: expressApp(expressRateLimit({ windowMs: 60_000, limit: HUGE })),
};
async function fastifyApp(register) {
  const app = Fastify({ logger: false });
  await register?.(app);
  app.get('/bench', async () => 'ok');
  await app.ready();
  return app;
}
const fastify_ = {
  bare: await fastifyApp(),
  opensergo: await fastifyApp((app) => app.register(fastifyOpenSergo, { rules: rules('{ type: clientIp }'), ...quiet })),
  // @fastify/rate-limit's defaults (keyed by request.ip, its LocalStore: an LRU of 5,000 keys), a max never reached.
  peer: await fastifyApp((app) => app.register(fastifyRateLimit, { max: HUGE, timeWindow: 60_000 })),
};
const viaExpress = (app) => (address) => inject(app, { method: 'GET', url: '/bench', remoteAddress: address });
const viaFastify = (app) => (address) => app.inject({ method: 'GET', url: '/bench', remoteAddress: address });
const frameworkCases = [];
for (const n of [10, 100_000]) {
  const label = n === 10 ? '10 clients' : '100,000 clients';
  for (const [name, app] of Object.entries(express_)) {
    frameworkCases.push({ name: `express ${name}, ${label}`, fn: rotation(CLIENTS[n], viaExpress(app)), async: true });
  }
  for (const [name, app] of Object.entries(fastify_)) {
    frameworkCases.push({ name: `fastify ${name}, ${label}`, fn: rotation(CLIENTS[n], viaFastify(app)), async: true });
  }
}

// 3. Memory, first, on a heap with little else on it.
function settledHeap() {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}
/** Heap retained per client after `feed` saw each of `clients` once. */
async function retainedPerClient(clients, feed) {
  await feed('192.0.2.1'); // first-use allocations are not per client
  const before = settledHeap();
  for (const address of clients) await feed(address);
  return (settledHeap() - before) / clients.length;
}
if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc (memory is measured with explicit collections)');
const memory = {};
const measured = createEngine({ rules: rules('{ type: clientIp }'), ...quiet });
memory['OpenSergo, rate limit by clientIp (engine)'] = await retainedPerClient(CLIENTS[100_000], (a) => enter(measured)(a));
const ermStore = new MemoryStore();
ermStore.init({ windowMs: 60_000 });
memory['express-rate-limit 8, MemoryStore'] = await retainedPerClient(CLIENTS[100_000], (a) => ermStore.increment(a));
ermStore.shutdown();
const LocalStore = createRequire(import.meta.url)('@fastify/rate-limit/store/LocalStore.js');
const frlStore = new LocalStore(false, false, 200_000); // its default cache is 5,000 keys: room for all here
memory['@fastify/rate-limit 11, LocalStore (cache 200,000)'] = await retainedPerClient(CLIENTS[100_000], (a) =>
  frlStore.incr(a, () => {}, 60_000, HUGE),
);
await measured.close();
/**
 * 1,000,000 distinct clients against maxTrackedValues 100,000: values tracked, and the heap the
 * engine retains at the end (its 100,000 clients' state and address strings; each address is
 * made as a request's would be, and dropped when the engine forgets it).
 */
async function millionClients() {
  const before = settledHeap();
  const bounded = createEngine({ rules: rules('{ type: clientIp }', 100_000), ...quiet });
  for (let i = 0; i < 1_000_000; i++) enter(bounded)(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  const retained = settledHeap() - before;
  const tracked = bounded.metrics().resources[0].trackedValues;
  await bounded.close();
  return { tracked, retained };
}
const { tracked, retained: millionRetained } = await millionClients();
settledHeap(); // nothing of the memory runs is left for the timed runs' collections to walk

const info = machine();
console.log(`# Per-client limits — ${info.cpu}, Node ${info.node}, load avg ${info.loadAverage.join(' ')}`);
console.log(`${timing.rounds} rounds × ${timing.ms} ms per case, interleaved; medians.\n`);

// Fill the 100,000-client limiters once before timing, so that the rotation measures clients
// already tracked (the steady state), not their creation.
for (const address of CLIENTS[100_000]) {
  enter(perClient[100_000])(address);
}
const engineResults = await runInterleaved(engineCases, timing);
const plainNs = engineResults[0].nsPerCall;
printRows(
  [['case', 'ns/request', '+ns vs plain'], ...engineResults.map((r) => [r.name, r.nsPerCall.toFixed(0), (r.nsPerCall - plainNs).toFixed(0)])],
  [1, 2],
);

const frameworkResults = await runInterleaved(frameworkCases, { ...timing, rounds: Math.max(3, timing.rounds - 2) });
const byName = new Map(frameworkResults.map((r) => [r.name, r.nsPerCall]));
console.log('');
printRows(
  [
    ['case', 'µs/request', '+µs vs bare'],
    ...frameworkResults.map((r) => {
      const bare = byName.get(r.name.replace(/ (opensergo|peer),/, ' bare,'));
      return [r.name, (r.nsPerCall / 1000).toFixed(2), ((r.nsPerCall - bare) / 1000).toFixed(2)];
    }),
  ],
  [1, 2],
);

printRows([['limiter', 'bytes retained per client'], ...Object.entries(memory).map(([k, v]) => [k, v.toFixed(0)])], [1]);
console.log(
  `\n1,000,000 distinct addresses, maxTrackedValues 100,000: ${tracked.toLocaleString('en-US')} tracked, ` +
    `${(millionRetained / 1e6).toFixed(1)} MB retained at the end (engine, state and address strings of the clients it remembers).`,
);
console.log(
  `Results: ${writeResults('per-client', { machine: info, timing, engine: engineResults, frameworks: frameworkResults, memory, million: { tracked, retainedBytes: millionRetained } })}`,
);
for (const engine of [plain, perClient[10], perClient[100_000], ...closing]) await engine.close();
for (const app of Object.values(fastify_)) await app.close();
