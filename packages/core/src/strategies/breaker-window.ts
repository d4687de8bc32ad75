/**
 * A circuit breaker's sliding statistics window: `windowMs` split into `buckets` equal
 * buckets, so it always covers the last `windowMs` to within one bucket (a tenth by default),
 * rather than a fixed window that forgets everything at its edge. Recording and reading are
 * O(1) amortised and allocate nothing.
 */
export class BreakerWindow {
  /** Requests counted in the window (as of the last `record`/`advance`). */
  total = 0;
  /** Of which bad (errors, or slow requests). */
  bad = 0;
  private readonly width: number;
  private readonly totals: Float64Array;
  private readonly bads: Float64Array;
  /** Index (time / width) of the newest bucket. */
  private newest = -Infinity;
  /** Its slot in the ring (`newest` mod `buckets`), kept so that a record within the bucket computes nothing. */
  private slot = 0;

  constructor(
    readonly windowMs: number,
    private readonly buckets = 10,
  ) {
    this.width = windowMs / buckets;
    this.totals = new Float64Array(buckets);
    this.bads = new Float64Array(buckets);
  }

  /** Counts one request ending at `now`. */
  record(now: number, isBad: boolean): void {
    const slot = this.advance(now);
    this.totals[slot]! += 1;
    this.total += 1;
    if (isBad) {
      this.bads[slot]! += 1;
      this.bad += 1;
    }
  }

  /** Forgets buckets older than the window ending at `now`; returns the current bucket's slot. */
  advance(now: number): number {
    const index = Math.floor(now / this.width);
    const n = this.buckets;
    if (index > this.newest) {
      if (index - this.newest >= n) this.reset();
      else {
        for (let i = this.newest + 1; i <= index; i++) {
          const slot = ((i % n) + n) % n;
          this.total -= this.totals[slot]!;
          this.bad -= this.bads[slot]!;
          this.totals[slot] = 0;
          this.bads[slot] = 0;
        }
      }
      this.newest = index;
      this.slot = ((index % n) + n) % n;
    }
    return this.slot;
  }

  /** Forgets everything (the breaker closed: fresh statistics). */
  reset(): void {
    this.totals.fill(0);
    this.bads.fill(0);
    this.total = 0;
    this.bad = 0;
  }
}
