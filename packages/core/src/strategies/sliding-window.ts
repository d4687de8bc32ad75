/**
 * A sliding-window admission log: "at most `threshold` admissions in ANY span of
 * `windowMs`", not the fixed-window approximation that lets 2× through at an edge.
 *
 * Admissions are kept as (time, count) runs in a ring. Times are rounded UP to a grain of
 * `windowMs / 1000` (at most 1 ms), so a run expires no earlier than its real admissions
 * would: the bound is never exceeded, memory stays ≤ ~1000 runs whatever the threshold, and
 * with a millisecond clock the log is exact. Each operation is amortised O(1).
 */
const NONE = new Float64Array(0);

export class SlidingWindow {
  private times: Float64Array;
  private counts: Float64Array;
  private head = 0; // oldest run
  private size = 0;
  private total = 0;
  private readonly grain: number;

  constructor(readonly windowMs: number) {
    this.grain = Math.min(1, windowMs / 1000);
    // Storage comes with the first admission: of 10,000 guarded routes most may never be hit.
    this.times = NONE;
    this.counts = NONE;
  }

  /** Admissions still inside the window ending at `now`. */
  count(now: number): number {
    this.evict(now);
    return this.total;
  }

  /** Admits one if that keeps the window within `threshold`; returns whether it did. */
  tryAdmit(now: number, threshold: number): boolean {
    this.evict(now);
    if (this.total + 1 > threshold) return false;
    this.record(now);
    return true;
  }

  /** Milliseconds until one more admission would fit under `threshold` (0 if it fits now). */
  waitMs(now: number, threshold: number): number {
    this.evict(now);
    if (this.total + 1 <= threshold) return 0;
    // Find the run whose expiry brings the total to threshold - 1.
    let excess = this.total + 1 - threshold;
    const cap = this.times.length;
    for (let i = 0; i < this.size; i++) {
      const at = (this.head + i) % cap;
      excess -= this.counts[at]!;
      if (excess <= 0) return Math.max(0, this.times[at]! + this.windowMs - now);
    }
    return this.windowMs;
  }

  /** Milliseconds until the oldest admission still counted leaves the window (0 when none is). */
  nextExpiryMs(now: number): number {
    this.evict(now);
    return this.size === 0 ? 0 : Math.max(0, this.times[this.head]! + this.windowMs - now);
  }

  /** Takes back one admission made at `at` (a later check blocked that request). */
  undo(at: number): void {
    const t = this.round(at);
    const cap = this.times.length;
    for (let i = this.size - 1; i >= 0; i--) {
      const idx = (this.head + i) % cap;
      if (this.times[idx] === t && this.counts[idx]! > 0) {
        this.counts[idx]! -= 1;
        this.total -= 1;
        return;
      }
      if (this.times[idx]! < t) return;
    }
  }

  private round(now: number): number {
    return Math.ceil(now / this.grain) * this.grain;
  }

  private record(now: number): void {
    const t = this.round(now);
    const cap = this.times.length;
    if (this.size > 0) {
      const last = (this.head + this.size - 1) % cap;
      if (this.times[last]! >= t) {
        // same grain (or a clock that stood still): extend the newest run
        this.counts[last]! += 1;
        this.total += 1;
        return;
      }
    }
    if (this.size === cap) this.grow();
    const at = (this.head + this.size) % this.times.length;
    this.times[at] = t;
    this.counts[at] = 1;
    this.size += 1;
    this.total += 1;
  }

  private evict(now: number): void {
    const cap = this.times.length;
    const horizon = now - this.windowMs;
    while (this.size > 0 && this.times[this.head]! <= horizon) {
      this.total -= this.counts[this.head]!;
      this.head = (this.head + 1) % cap;
      this.size -= 1;
    }
    if (this.size === 0) this.total = 0;
  }

  private grow(): void {
    const cap = this.times.length;
    const times = new Float64Array(Math.max(8, cap * 2));
    const counts = new Float64Array(Math.max(8, cap * 2));
    for (let i = 0; i < this.size; i++) {
      times[i] = this.times[(this.head + i) % cap]!;
      counts[i] = this.counts[(this.head + i) % cap]!;
    }
    this.times = times;
    this.counts = counts;
    this.head = 0;
  }
}
