// Parent side of a server child: spawn, wait until it listens, read its CPU time, close.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { pin } from './pin.js';

const CHILD = new URL('./server-child.js', import.meta.url);

/**
 * Starts a scenario's server in its own process.
 * @param {object} scenario from lib/scenarios.js
 * @param {{ cpu?: string, profileDir?: string }} [options] `cpu`: a taskset CPU list to pin the
 *   child to; `profileDir`: write a V8 CPU profile there when the child exits
 * @returns {Promise<{ port: number, warnings: string[], startupMs: number, cpuMicros(): Promise<number>,
 *   startProfile(): Promise<void>, stopProfile(): Promise<object>, close(): Promise<void> }>}
 */
export async function startServer(scenario, options = {}) {
  const execArgv = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
  const child = fork(CHILD, [JSON.stringify(scenario)], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = once(child, 'exit');
  const [ready] = await Promise.race([
    once(child, 'message'),
    exited.then(([code]) => Promise.reject(new Error(`${scenario.framework}/${scenario.id} server exited (${code})`))),
  ]);
  if (options.cpu) pin(child.pid, options.cpu);
  let next = 0;
  const ask = async (type, answer) => {
    const id = next++;
    child.send({ type, id });
    for (;;) {
      const [message] = await once(child, 'message');
      if (message.type === answer && message.id === id) return message;
    }
  };
  /** A `{ totalMs, count }` the child sums and resets on each read. */
  const totals = async (type) => {
    const { totalMs, count } = await ask(type, type);
    return { totalMs, count };
  };
  return {
    port: ready.port,
    warnings: ready.warnings,
    startupMs: ready.startupMs,
    async cpuMicros() {
      const { usage } = await ask('cpu', 'cpu');
      return usage.user + usage.system;
    },
    /** Time spent in the stopwatched middleware slot since the last read (scenario.stopwatch). */
    stopwatch: () => totals('stopwatch'),
    /** Garbage-collection pauses since the last read. */
    gc: () => totals('gc'),
    /** Starts counting allocated bytes and requests (see server-child.js). */
    async startAllocation() {
      await ask('alloc-start', 'alloc-started');
    },
    /** @returns {Promise<{ bytes: number, requests: number, collections: number }>} since startAllocation */
    async stopAllocation() {
      const { bytes, requests, collections } = await ask('alloc-stop', 'alloc');
      return { bytes, requests, collections };
    },
    async startProfile() {
      await ask('profile-start', 'profile-started');
    },
    async stopProfile() {
      return JSON.parse((await ask('profile-stop', 'profile')).profile);
    },
    async close() {
      if (child.exitCode !== null) return;
      child.send({ type: 'close' });
      await exited;
    },
  };
}
