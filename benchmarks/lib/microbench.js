// A small in-process timing loop for the engine benchmark.
import { rotated } from './order.js';
import { median } from './stats.js';

/**
 * Times `fn` (synchronous, or returning a promise when `async` is set) in batches until
 * `ms` have passed, and returns nanoseconds per call. Async functions are fired `batch` at a
 * time and awaited together, so the figure is throughput, as in opossum's own measurements.
 * With `cpu`, the figure is the process's CPU time (user + system) per call instead of wall
 * time: what a loaded machine's other processes take from this one is then not counted.
 * @param {() => unknown} fn
 * @param {{ ms: number, batch?: number, async?: boolean, cpu?: boolean }} options
 */
export async function timeCalls(fn, { ms, batch = 1000, async = false, cpu = false }) {
  const cpuStart = cpu ? process.cpuUsage() : undefined;
  let calls = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(ms * 1e6));
  let elapsed = 0n;
  const pending = new Array(batch);
  while (elapsed < budget) {
    if (async) {
      for (let i = 0; i < batch; i++) pending[i] = fn();
      await Promise.allSettled(pending);
    } else {
      for (let i = 0; i < batch; i++) fn();
    }
    calls += batch;
    elapsed = process.hrtime.bigint() - start;
  }
  if (cpuStart === undefined) return Number(elapsed) / calls;
  const used = process.cpuUsage(cpuStart);
  return ((used.user + used.system) * 1000) / calls;
}

/**
 * Runs every case `rounds` times, interleaved (each round starting one case later), after one warm-up pass each, and returns the
 * median ns/call of each (keyed by case name) with the spread of its rounds.
 * @param {{ name: string, fn: () => unknown, async?: boolean }[]} cases
 * @param {{ rounds: number, ms: number, warmupMs: number, cpu?: boolean }} options
 */
export async function runInterleaved(cases, { rounds, ms, warmupMs, cpu = false }) {
  const samples = new Map(cases.map((c) => [c.name, []]));
  for (const c of cases) await timeCalls(c.fn, { ms: warmupMs, async: c.async, cpu });
  for (let r = 0; r < rounds; r++) {
    for (const c of rotated(cases, r)) samples.get(c.name).push(await timeCalls(c.fn, { ms, async: c.async, cpu }));
  }
  return cases.map((c) => {
    const ns = samples.get(c.name);
    return { name: c.name, nsPerCall: median(ns), callsPerSecond: 1e9 / median(ns), samples: ns };
  });
}
