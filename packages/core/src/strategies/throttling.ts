import type { Clock, Timer } from '../clock.js';
import type { ThrottlingStrategy } from '../rules/types.js';
import { Block, type Guard, type GuardFactory, type GuardResult, type GuardState, type Ticket } from './guard.js';

/** Float slack, so sums of fractional intervals never wait an extra timer turn or reject on an ulp. */
const EPSILON_MS = 1e-6;

/** One admission's scheduled time; cancelling it gives the time back when nothing came after. */
class Slot implements Ticket {
  readonly tracksOutcome = false;
  constructor(
    private readonly guard: Throttling,
    readonly at: number,
    readonly previous: number,
  ) {}
  exit(): void {}
  cancel(): void {
    this.guard.undo(this);
  }
}

interface Waiter {
  readonly slot: Slot;
  readonly resolve: (result: GuardResult) => void;
}

/**
 * ThrottlingStrategy (docs/rules.md): admissions are scheduled at least `minIntervalMs` apart, on a
 * virtual timeline kept in fractional milliseconds (so 0.5 ms means 2,000/s, never 1,000/s).
 * A request whose slot is no more than `queueTimeoutMs` away waits for it on one timer per
 * guard (the queue head's); a later slot is refused at once, with the time until a request
 * would fit in the queue. After an idle spell the next request passes at once (no burst credit).
 */
export const createThrottlingGuard: GuardFactory<ThrottlingStrategy> = (strategy, context) =>
  new Throttling(strategy.minIntervalMs, strategy.queueTimeoutMs, context.clock);

export class Throttling implements Guard {
  readonly order = 4;
  /** Scheduled time of the latest admission. */
  private last = -Infinity;
  private readonly queue: Waiter[] = [];
  private head = 0;
  private timer: Timer | undefined;
  private disposed = false;

  constructor(
    readonly intervalMs: number,
    readonly queueTimeoutMs: number,
    private readonly clock: Clock,
  ) {}

  /** Requests waiting for their slot. */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  inspect(): GuardState {
    return { queued: this.waiting };
  }

  enter(now: number): GuardResult | Promise<GuardResult> {
    const previous = this.last;
    const at = previous + this.intervalMs;
    if (at <= now + EPSILON_MS || this.disposed) {
      this.last = Math.max(now, previous);
      return new Slot(this, this.last, previous);
    }
    const wait = at - now;
    if (wait > this.queueTimeoutMs + EPSILON_MS) return new Block('ThrottlingStrategy', wait - this.queueTimeoutMs);
    this.last = at;
    const slot = new Slot(this, at, previous);
    return new Promise<GuardResult>((resolve) => {
      this.queue.push({ slot, resolve });
      if (this.timer === undefined) this.timer = this.clock.setTimer(this.release, wait);
    });
  }

  /** A later check refused the request holding `slot`: if it is still the latest, free it. */
  undo(slot: Slot): void {
    if (this.last === slot.at) this.last = slot.previous;
  }

  /** Admits every queued request now (the rule is gone or the engine is closing). */
  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    const waiters = this.queue.slice(this.head);
    this.queue.length = 0;
    this.head = 0;
    for (const waiter of waiters) waiter.resolve(waiter.slot);
  }

  private readonly release = (): void => {
    this.timer = undefined;
    const now = this.clock.now();
    while (this.head < this.queue.length && this.queue[this.head]!.slot.at <= now + EPSILON_MS) {
      const waiter = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as Waiter;
      waiter.resolve(waiter.slot);
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else {
      if (this.head > 1024) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.timer = this.clock.setTimer(this.release, this.queue[this.head]!.slot.at - now);
    }
  };
}
