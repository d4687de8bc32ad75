/**
 * A sliding-window admission log: "at most `threshold` admissions in ANY span of
 * `windowMs`", not the fixed-window approximation that lets 2× through at an edge.
 *
 * Admissions are kept as (time, count) runs in a ring. Times are rounded UP to a grain of
 * `windowMs / 1000` (at most 1 ms), so a run expires no earlier than its real admissions
 * would: the bound is never exceeded, memory stays ≤ ~1000 runs whatever the threshold, and
 * with a millisecond clock the log is exact. Each operation is amortised O(1).
 */
const NONE: number[] = [];

export class SlidingWindow {
  /**
   * The ring of runs, interleaved: `runs[2k]` a run's time, `runs[2k + 1]` its count. One plain
   * array of doubles rather than two typed arrays: a per-client limit keeps one window per
   * client, and a window holding one run then costs ~70 bytes instead of ~350.
   */
  private runs: number[];
  private head = 0; // oldest run
  private size = 0;
  private total = 0;
  private readonly grain: number;

  constructor(readonly windowMs: number) {
    this.grain = Math.min(1, windowMs / 1000);
    // Storage comes with the first admission: of 10,000 guarded routes most may never be hit.
    this.runs = NONE;
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
    const cap = this.runs.length >> 1;
    for (let i = 0; i < this.size; i++) {
      const at = ((this.head + i) & (cap - 1)) << 1;
      excess -= this.runs[at + 1]!;
      if (excess <= 0) return Math.max(0, this.runs[at]! + this.windowMs - now);
    }
    return this.windowMs;
  }

  /** Milliseconds until the oldest admission still counted leaves the window (0 when none is). */
  nextExpiryMs(now: number): number {
    this.evict(now);
    return this.size === 0 ? 0 : Math.max(0, this.runs[this.head << 1]! + this.windowMs - now);
  }

  /** Takes back one admission made at `at` (a later check blocked that request). */
  undo(at: number): void {
    const t = this.round(at);
    const cap = this.runs.length >> 1;
    for (let i = this.size - 1; i >= 0; i--) {
      const idx = ((this.head + i) & (cap - 1)) << 1;
      if (this.runs[idx] === t && this.runs[idx + 1]! > 0) {
        this.runs[idx + 1]! -= 1;
        this.total -= 1;
        return;
      }
      if (this.runs[idx]! < t) return;
    }
  }

  private round(now: number): number {
    return Math.ceil(now / this.grain) * this.grain;
  }

  private record(now: number): void {
    const t = this.round(now);
    const cap = this.runs.length >> 1;
    if (this.size > 0) {
      const last = ((this.head + this.size - 1) & (cap - 1)) << 1;
      if (this.runs[last]! >= t) {
        // same grain (or a clock that stood still): extend the newest run
        this.runs[last + 1]! += 1;
        this.total += 1;
        return;
      }
    }
    if (this.size === cap) this.grow();
    const at = ((this.head + this.size) & ((this.runs.length >> 1) - 1)) << 1;
    this.runs[at] = t;
    this.runs[at + 1] = 1;
    this.size += 1;
    this.total += 1;
  }

  private evict(now: number): void {
    const cap = this.runs.length >> 1;
    const horizon = now - this.windowMs;
    while (this.size > 0 && this.runs[this.head << 1]! <= horizon) {
      this.total -= this.runs[(this.head << 1) + 1]!;
      this.head = (this.head + 1) & (cap - 1);
      this.size -= 1;
    }
    if (this.size === 0) this.total = 0;
  }

  /**
   * Doubles the ring (the first admission makes room for one run: most clients hold a few).
   * Its capacity is always a power of two, so positions wrap with `& (cap - 1)` rather than
   * `% cap` (an integer division with its sign and zero checks, three per admission).
   */
  private grow(): void {
    const cap = this.runs.length >> 1;
    const runs = new Array<number>(Math.max(2, cap * 4)).fill(0.5);
    for (let i = 0; i < this.size; i++) {
      const from = ((this.head + i) & (cap - 1)) << 1;
      runs[i << 1] = this.runs[from]!;
      runs[(i << 1) + 1] = this.runs[from + 1]!;
    }
    this.runs = runs;
    this.head = 0;
  }
}
