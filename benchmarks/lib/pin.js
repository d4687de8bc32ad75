import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * Pins every thread of a process to a CPU list with `taskset` (Linux). Returns whether it did;
 * without taskset, or with fewer than 2 CPUs, nothing is pinned.
 * @param {number} pid
 * @param {string} cpus e.g. `"0"` or `"1-3"`
 */
export function pin(pid, cpus) {
  if (process.platform !== 'linux' || availableParallelism() < 2) return false;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
