import type { RateLimitStrategy } from '../rules/types.js';
import { Block, type Guard, type GuardContext, type GuardFactory, type Quota, type Ticket } from './guard.js';
import { SlidingWindow } from './sliding-window.js';

/**
 * RateLimitStrategy: at most `threshold` admissions in any `statDuration` (docs/rules.md).
 * `Local` counts in this process; `GlobalToLocal` divides the threshold by the store's live
 * instance count, locally; `Global` is delegated to the store.
 */
export const createRateLimitGuard: GuardFactory<RateLimitStrategy> = (strategy, context) => {
  switch (strategy.limitMode) {
    case 'Local':
      // The strategy itself is the threshold's holder: a per-client limit makes one guard per
      // client, and a closure each would be ~100 bytes more per client.
      return new LocalRateLimit(strategy.statDurationMs, strategy);
    case 'GlobalToLocal':
      return createLocalRateLimitGuard(
        strategy,
        context,
        () => strategy.threshold / Math.max(1, context.store.instanceCount()),
      );
    case 'Global':
      return context.store.globalRateLimit(strategy, context);
  }
};

/** A per-process sliding-window limiter whose threshold may change (GlobalToLocal). */
export function createLocalRateLimitGuard(
  strategy: RateLimitStrategy,
  _context: GuardContext,
  threshold: () => number,
): Guard {
  return new LocalRateLimit(strategy.statDurationMs, {
    get threshold() {
      return threshold();
    },
  });
}

/**
 * The limiter is its own window (a subclass, not a field): a per-client limit keeps one per
 * client, and one object fewer is ~30 bytes and one memory access less per request.
 */
class LocalRateLimit extends SlidingWindow implements Guard, Ticket {
  constructor(
    windowMs: number,
    private readonly limit: { readonly threshold: number },
  ) {
    super(windowMs);
  }

  // On the prototype, not per instance: a per-client limit has one guard per client.
  get order(): number {
    return 2;
  }

  get tracksOutcome(): boolean {
    return false;
  }

  enter(now: number): Ticket | Block {
    const limit = this.limit.threshold;
    if (this.tryAdmit(now, limit)) return this;
    return new Block('RateLimitStrategy', limit < 1 ? this.windowMs : this.waitMs(now, limit));
  }

  exit(): void {}

  cancel(enteredAt: number): void {
    this.undo(enteredAt);
  }

  quota(now: number): Quota {
    const limit = Math.floor(this.limit.threshold);
    const remaining = Math.max(0, limit - this.count(now));
    return { limit, remaining, resetMs: this.nextExpiryMs(now), windowMs: this.windowMs };
  }

  dispose(): void {}
}
