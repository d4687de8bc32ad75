/**
 * Keeps a complaint that may repeat on every request (a hostile header, a response that cannot
 * be written) to one log line per key, then at most one per interval, each saying how many
 * were left unsaid since the last. Keys are few (a header name, a rule), so the map stays small.
 *
 * @example
 * ```ts
 * const limiter = new LogLimiter(() => performance.now());
 * const held = limiter.take('baggage');
 * if (held !== undefined) logger.warn(`dropped a label${held > 0 ? ` (and ${held} more since)` : ''}`);
 * ```
 */
export class LogLimiter {
  private readonly keys = new Map<string, { at: number; held: number }>();

  constructor(
    private readonly now: () => number,
    private readonly intervalMs = 60_000,
  ) {}

  /** `undefined`: stay quiet this time; a number: log now, saying that many were held back. */
  take(key: string): number | undefined {
    const now = this.now();
    const state = this.keys.get(key);
    if (state === undefined) {
      this.keys.set(key, { at: now, held: 0 });
      return 0;
    }
    if (now - state.at < this.intervalMs) {
      state.held++;
      return undefined;
    }
    const held = state.held;
    state.at = now;
    state.held = 0;
    return held;
  }
}

/**
 * `" (and 3 more since the last report)"`, or nothing.
 *
 * @example
 * ```ts
 * heldBack(0); // ''
 * ```
 */
export function heldBack(count: number): string {
  return count > 0 ? ` (and ${count} more since the last report)` : '';
}
