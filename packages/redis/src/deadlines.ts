import { RedisTimeoutError } from './run-script.js';

interface Entry {
  readonly deadline: number;
  settled: boolean;
  readonly expire: () => void;
}

/**
 * Bounds many calls that share one timeout with a single timer. A timer per call
 * (`setTimeout` + `clearTimeout`) costs several microseconds, more than the rest of a
 * batched decision; deadlines of equal timeouts come in order, so one timer armed for the
 * oldest unsettled call is enough.
 */
export class Deadlines {
  private queue: Entry[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly timeoutMs: number) {}

  /**
   * Settles with `promise`, or rejects with RedisTimeoutError after the timeout. A reply
   * that comes after the deadline goes to `late` (e.g. to give back a permit nobody uses).
   */
  bound<T>(promise: Promise<T>, late?: (value: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Entry = {
        deadline: performance.now() + this.timeoutMs,
        settled: false,
        expire: () => reject(new RedisTimeoutError(this.timeoutMs)),
      };
      this.queue.push(entry);
      if (!this.timer) this.arm(this.timeoutMs);
      promise.then(
        (value) => {
          if (entry.settled) return late?.(value);
          entry.settled = true;
          resolve(value);
        },
        (error: unknown) => {
          if (entry.settled) return;
          entry.settled = true;
          reject(error);
        },
      );
    });
  }

  private readonly sweep = (): void => {
    this.timer = undefined;
    const now = performance.now();
    while (this.head < this.queue.length) {
      const entry = this.queue[this.head]!;
      if (!entry.settled) {
        if (entry.deadline > now) break;
        entry.settled = true;
        entry.expire();
      }
      this.head += 1;
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
      return;
    }
    if (this.head > 1024) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.arm(Math.max(1, this.queue[this.head]!.deadline - now));
  };

  private arm(ms: number): void {
    this.timer = setTimeout(this.sweep, ms);
    this.timer.unref();
  }
}
