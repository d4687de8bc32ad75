// Child process: builds one scenario's server and answers the parent over IPC.
// Usage (by lib/server-process.js): node lib/server-child.js '<scenario JSON>'
import diagnostics from 'node:diagnostics_channel';
import { Session } from 'node:inspector/promises';
import v8 from 'node:v8';
import { PerformanceObserver } from 'node:perf_hooks';
import { RULES } from './rules.js';
import * as stopwatch from './stopwatch.js';

const scenario = JSON.parse(process.argv[2]);
const warnings = [];
const logger = { info() {}, warn: (message) => warnings.push(message), error: (message) => warnings.push(message) };

const started = performance.now();
const rules = scenario.rules ? RULES[scenario.rules]() : undefined;
const { start } = await import(`../servers/${scenario.framework}.js`);
const server = await start(scenario, { rules, logger });
const startupMs = performance.now() - started;

let session;

// Garbage collection time, summed until the parent reads it: the part of a middleware's cost
// that falls outside its slot (allocations are collected later, in whichever request runs).
const gc = { totalMs: 0, count: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.totalMs += entry.duration;
    gc.count++;
  }
}).observe({ entryTypes: ['gc'] });

// Bytes allocated per request, while the parent asks: the sum, over the garbage collections
// in between, of heap growth since the previous one (v8.GCProfiler), and the requests
// served (counted only then: a subscriber makes Node publish an object per request).
let allocation;
const countRequest = () => allocation.requests++;
function startAllocation() {
  const profiler = new v8.GCProfiler();
  profiler.start();
  allocation = { profiler, requests: 0, usedAtStart: v8.getHeapStatistics().used_heap_size };
  diagnostics.subscribe('http.server.request.start', countRequest);
}
function stopAllocation() {
  diagnostics.unsubscribe('http.server.request.start', countRequest);
  const usedAtEnd = v8.getHeapStatistics().used_heap_size;
  const { statistics } = allocation.profiler.stop();
  let bytes = 0;
  let used = allocation.usedAtStart;
  for (const { beforeGC, afterGC } of statistics) {
    bytes += beforeGC.heapStatistics.usedHeapSize - used;
    used = afterGC.heapStatistics.usedHeapSize;
  }
  bytes += usedAtEnd - used;
  return { bytes, requests: allocation.requests, collections: statistics.length };
}

process.on('message', async (message) => {
  if (message.type === 'cpu') {
    process.send({ type: 'cpu', id: message.id, usage: process.cpuUsage() });
  } else if (message.type === 'stopwatch') {
    process.send({ type: 'stopwatch', id: message.id, ...stopwatch.read() });
  } else if (message.type === 'gc') {
    process.send({ type: 'gc', id: message.id, ...gc });
    gc.totalMs = 0;
    gc.count = 0;
  } else if (message.type === 'alloc-start') {
    startAllocation();
    process.send({ type: 'alloc-started', id: message.id });
  } else if (message.type === 'alloc-stop') {
    process.send({ type: 'alloc', id: message.id, ...stopAllocation() });
  } else if (message.type === 'profile-start') {
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 }); // µs; finer than the 1 ms default
    await session.post('Profiler.start');
    process.send({ type: 'profile-started', id: message.id });
  } else if (message.type === 'profile-stop') {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    process.send({ type: 'profile', id: message.id, profile: JSON.stringify(profile) });
  } else if (message.type === 'close') {
    await server.close();
    process.disconnect();
    process.exit(0);
  }
});
process.send({ type: 'ready', port: server.port, warnings, startupMs });
