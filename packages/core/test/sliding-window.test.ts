// Accuracy of the rate-limit window: never more than `threshold` in ANY window, and the full
// threshold in every window under sustained load (fake clock, no sleeping).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SlidingWindow } from '../src/strategies/sliding-window.js';

/** The most admissions inside any half-open span (t - w, t] over the recorded times. */
function maxInAnyWindow(times: readonly number[], windowMs: number): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while (times[hi]! - times[lo]! >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

describe('SlidingWindow', () => {
  it('refuses a burst just after an edge that a fixed window would admit', () => {
    const w = new SlidingWindow(1000);
    const admitted: number[] = [];
    for (let i = 0; i < 10; i++) if (w.tryAdmit(999, 10)) admitted.push(999);
    for (let i = 0; i < 10; i++) if (w.tryAdmit(1001, 10)) admitted.push(1001);
    assert.equal(admitted.length, 10, 'a fixed 1 s window would have let 20 through across 1000');
    assert.equal(w.tryAdmit(1998, 10), false);
    assert.equal(w.tryAdmit(1999, 10), true, 'exactly one window after the burst, room again');
  });

  it('never admits more than the threshold in any window, across edges and bursts', () => {
    for (const [threshold, windowMs] of [
      [10, 1000],
      [3, 250],
      [100, 60_000],
      [1, 1],
    ] as const) {
      const w = new SlidingWindow(windowMs);
      const admitted: number[] = [];
      let t = 0;
      let seed = 7;
      for (let i = 0; i < 20_000; i++) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        // mostly small steps, sometimes bursts at one instant, sometimes jumps over edges
        const r = seed % 100;
        t += r < 60 ? 0 : r < 95 ? seed % Math.max(1, Math.ceil(windowMs / 20)) : windowMs - 1 + (seed % 3);
        if (w.tryAdmit(t, threshold)) admitted.push(t);
      }
      assert.ok(admitted.length > threshold, 'the test admitted something');
      assert.equal(maxInAnyWindow(admitted, windowMs), threshold, `threshold ${threshold} per ${windowMs} ms`);
    }
  });

  it('admits the full threshold in every window under sustained load', () => {
    const w = new SlidingWindow(1000);
    const perSecond = new Map<number, number>();
    for (let t = 0; t < 10_000; t += 7) {
      if (w.tryAdmit(t, 20)) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
    }
    for (let s = 0; s < 10; s++) assert.equal(perSecond.get(s), 20, `second ${s}`);
  });

  it('is exact at sub-millisecond spacing and with fractional thresholds', () => {
    const w = new SlidingWindow(1000);
    let n = 0;
    for (let t = 0; t < 1000; t += 0.5) if (w.tryAdmit(t, 3.7)) n++;
    assert.equal(n, 3, 'a threshold of 3.7 admits 3 (GlobalToLocal shares round down)');
  });

  it('takes back an admission a later check refused', () => {
    const w = new SlidingWindow(1000);
    assert.equal(w.tryAdmit(5, 1), true);
    w.undo(5);
    assert.equal(w.count(6), 0);
    assert.equal(w.tryAdmit(6, 1), true);
  });

  it('says how long until the next admission fits', () => {
    const w = new SlidingWindow(1000);
    w.tryAdmit(100, 2);
    w.tryAdmit(400, 2);
    assert.equal(w.waitMs(500, 2), 600);
    assert.equal(w.waitMs(1050, 2), 50);
    assert.equal(w.waitMs(1100, 2), 0, 'the first admission left the window at 1100');
  });

  it('counts as a plain log does while its ring grows and wraps, with admissions taken back', () => {
    // Whole-millisecond times (the grain of a 1 s window), so the log's counts are exact.
    const w = new SlidingWindow(1000);
    const log: number[] = [];
    let seed = 7;
    const random = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    let t = 0;
    for (let step = 0; step < 20_000; step++) {
      t += random(3) === 0 ? random(400) : random(4);
      while (log.length > 0 && log[0]! <= t - 1000) log.shift();
      const threshold = 1 + random(60);
      const inside = log.length;
      assert.equal(w.tryAdmit(t, threshold), inside + 1 <= threshold, `step ${step}`);
      if (inside + 1 <= threshold) log.push(t);
      if (random(10) === 0 && log.length > 0) w.undo(log.pop()!);
      assert.equal(w.count(t), log.length, `step ${step}`);
    }
  });

  it('keeps memory bounded whatever the threshold', () => {
    const w = new SlidingWindow(1000);
    for (let t = 0; t < 1000; t += 0.01) w.tryAdmit(t, 1e9);
    const ring = (w as unknown as { runs: number[] }).runs.length / 2;
    assert.ok(ring <= 2048, `ring of ${ring} runs for 100,000 admissions`);
  });
});
