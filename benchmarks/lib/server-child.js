// Child process: builds one scenario's server and answers the parent over IPC.
// Usage (by lib/server-process.js): node lib/server-child.js '<scenario JSON>'
import { Session } from 'node:inspector/promises';
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

process.on('message', async (message) => {
  if (message.type === 'cpu') {
    process.send({ type: 'cpu', id: message.id, usage: process.cpuUsage() });
  } else if (message.type === 'stopwatch') {
    process.send({ type: 'stopwatch', id: message.id, ...stopwatch.read() });
  } else if (message.type === 'gc') {
    process.send({ type: 'gc', id: message.id, ...gc });
    gc.totalMs = 0;
    gc.count = 0;
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
