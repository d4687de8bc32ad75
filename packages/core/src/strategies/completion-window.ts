/**
 * What BBR needs to estimate a target's capacity: completions and the fastest response time
 * over the last second, in 10 buckets of 100 ms (Sentinel's inbound statistics, finer).
 * `capacity` is max completed-per-second × min response time: how many requests can be in
 * flight at once without queueing. Allocation-free.
 */
export class CompletionWindow {
  private readonly counts: Float64Array;
  private readonly minRts: Float64Array;
  private newest = -Infinity;

  constructor(
    private readonly bucketMs = 100,
    private readonly buckets = 10,
  ) {
    this.counts = new Float64Array(buckets);
    this.minRts = new Float64Array(buckets).fill(Infinity);
  }

  /** A request completed at `now` after `rtMs`. */
  record(now: number, rtMs: number): void {
    const slot = this.advance(now);
    this.counts[slot]! += 1;
    if (rtMs < this.minRts[slot]!) this.minRts[slot] = rtMs;
  }

  /** Max completed per second × min response time (seconds) over the window ending at `now`. */
  capacity(now: number): number {
    this.advance(now);
    let maxCount = 0;
    let minRt = Infinity;
    for (let i = 0; i < this.buckets; i++) {
      if (this.counts[i]! > maxCount) maxCount = this.counts[i]!;
      if (this.minRts[i]! < minRt) minRt = this.minRts[i]!;
    }
    if (maxCount === 0) return 0;
    return ((maxCount * 1000) / this.bucketMs) * (minRt / 1000);
  }

  private advance(now: number): number {
    const index = Math.floor(now / this.bucketMs);
    const n = this.buckets;
    if (index > this.newest) {
      const from = index - this.newest >= n ? index - n + 1 : this.newest + 1;
      for (let i = from; i <= index; i++) {
        const slot = ((i % n) + n) % n;
        this.counts[slot] = 0;
        this.minRts[slot] = Infinity;
      }
      this.newest = index;
    }
    return ((this.newest % n) + n) % n;
  }
}
