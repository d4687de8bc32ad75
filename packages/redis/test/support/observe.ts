// What the Redis tests look at: log lines, a condition coming true, the busiest window.
import assert from 'node:assert/strict';
import type { Logger } from '@opensergo/core';

/** A logger keeping every line, prefixed with its level. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => void lines.push(`info ${m}`), warn: (m) => void lines.push(`warn ${m}`), error: (m) => void lines.push(`error ${m}`) };
}

/** Waits for `test` to hold, polling every 20 ms; fails the test after `ms`. */
export async function until(test: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The most admissions in any span of `window` ending in [from, to) (times in any unit and order). */
export function busiestWindow(times: readonly number[], window: number, from = -Infinity, to = Infinity): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[j]! <= sorted[i]! - window) j++;
    if (sorted[i]! >= from && sorted[i]! < to) best = Math.max(best, i - j + 1);
  }
  return best;
}
