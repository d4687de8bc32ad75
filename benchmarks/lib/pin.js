import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';

/**
 * Pins every thread of a process to a CPU list with `taskset` (Linux). Returns whether it did;
 * without taskset, or with fewer than 2 CPUs, nothing is pinned.
 * @param {number} pid
 * @param {string} list e.g. `"0"` or `"1-3"`
 */
export function pin(pid, list) {
  // The machine's CPUs, not `availableParallelism()`: that counts this process's own affinity,
  // which is 1 once the load generator has pinned itself, and then no server was ever moved
  // off the load's CPU (every run before this fix measured both on CPU 1).
  if (process.platform !== 'linux' || cpus().length < 2) return false;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', list, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
