import { Block, SlidingWindow, type Clock, type Guard, type GuardResult, type RateLimitStrategy, type Ticket } from '@opensergo/core';
import type { Flushable, Link } from './link.js';
import { RATE_LIMIT } from './scripts.js';

type Resolve = (result: GuardResult) => void;

/**
 * RateLimitStrategy `Global` on Redis: at most `threshold` admissions in any `statDuration`
 * across every instance, decided by one script call per batch of requests.
 *
 * - Requests for this key arriving in one event-loop iteration share one call.
 * - When a call says the window is full, the key is blocked locally until the time Redis
 *   named, so blocked traffic costs no Redis call. That never admits too many: only Redis
 *   admits, and other instances can only fill the window further.
 * - Redis unavailable: this instance enforces its fair share, threshold / live instances,
 *   with the local sliding window. The window also records admissions while Redis answers,
 *   so a switch to local starts from what this instance really admitted.
 */
export class GlobalRateLimit implements Guard, Flushable {
  readonly order = 2;
  private pending: Resolve[] = [];
  private pendingAt: number[] = [];
  private blockedUntil = -Infinity;
  private readonly local: SlidingWindow;
  private readonly windowUs: number;
  private tokens = 0;
  private readonly localAdmission: Ticket;

  constructor(
    private readonly strategy: RateLimitStrategy,
    private readonly key: string,
    private readonly link: Link,
    private readonly clock: Clock,
    private readonly instanceCount: () => number,
    private readonly idPrefix: string,
  ) {
    this.local = new SlidingWindow(strategy.statDurationMs);
    this.windowUs = Math.round(strategy.statDurationMs * 1000);
    const window = this.local;
    this.localAdmission = { tracksOutcome: false, exit() {}, cancel: (enteredAt) => window.undo(enteredAt) };
  }

  enter(now: number): GuardResult | Promise<GuardResult> {
    if (this.strategy.threshold < 1) return new Block('RateLimitStrategy', this.strategy.statDurationMs);
    if (now < this.blockedUntil) return new Block('RateLimitStrategy', this.blockedUntil - now);
    if (!this.link.available) return this.enterLocally(now);
    return new Promise<GuardResult>((resolve) => {
      this.pendingAt.push(now);
      if (this.pending.push(resolve) === 1) this.link.schedule(this);
    });
  }

  flush(): void {
    const waiting = this.pending;
    const enteredAt = this.pendingAt;
    this.pending = [];
    this.pendingAt = [];
    const now = this.clock.now();
    if (!this.link.available) {
      for (let i = 0; i < waiting.length; i++) waiting[i]!(this.enterLocally(enteredAt[i]!));
      return;
    }
    const token = `${this.idPrefix}.${(this.tokens++).toString(36)}`;
    this.link
      .run(RATE_LIMIT, this.key, [this.strategy.threshold, this.windowUs, waiting.length, token])
      .then(
        (reply) => {
          this.link.succeeded();
          const [admitted, , retryMs] = reply as [number, number, number];
          for (let i = 0; i < waiting.length; i++) {
            if (i < admitted) {
              this.local.tryAdmit(enteredAt[i]!, Infinity);
              waiting[i]!(new GlobalAdmission(this, token, i + 1));
            } else waiting[i]!(new Block('RateLimitStrategy', retryMs));
          }
          if (retryMs > 0) this.blockedUntil = now + retryMs;
        },
        (error: unknown) => {
          this.link.failed(error);
          for (let i = 0; i < waiting.length; i++) waiting[i]!(this.enterLocally(enteredAt[i]!));
        },
      );
  }

  /** A later check refused a request this guard admitted: take the admission back. */
  undo(token: string, index: number, enteredAt: number): void {
    this.local.undo(enteredAt);
    if (!this.link.available) return;
    this.link.call(() => this.link.client.zrem(this.key, `${token}:${index}`)).catch(() => {});
  }

  private enterLocally(now: number): GuardResult {
    const share = this.strategy.threshold / Math.max(1, this.instanceCount());
    if (this.local.tryAdmit(now, share)) return this.localAdmission;
    return new Block('RateLimitStrategy', share < 1 ? this.local.windowMs : this.local.waitMs(now, share));
  }

  dispose(): void {}
}

class GlobalAdmission implements Ticket {
  readonly tracksOutcome = false;
  constructor(
    private readonly guard: GlobalRateLimit,
    private readonly token: string,
    private readonly index: number,
  ) {}

  exit(): void {}

  cancel(enteredAt: number): void {
    this.guard.undo(this.token, this.index, enteredAt);
  }
}
