import type { ConcurrencyLimitStrategy } from '../rules/types.js';
import { Block, type Guard, type GuardContext, type GuardFactory, type GuardState, type Ticket } from './guard.js';

/**
 * ConcurrencyLimitStrategy: at most `maxConcurrency` admitted requests in flight. A permit is
 * held until the request finishes, fails or is abandoned; the engine's entry guarantees that
 * `exit` or `cancel` runs exactly once per admission, so the count cannot drift.
 */
export const createConcurrencyLimitGuard: GuardFactory<ConcurrencyLimitStrategy> = (strategy, context) =>
  strategy.limitMode === 'Global'
    ? context.store.globalConcurrencyLimit(strategy, context)
    : createLocalConcurrencyGuard(strategy, context);

/** A per-process permit counter. */
export function createLocalConcurrencyGuard(strategy: ConcurrencyLimitStrategy, _context: GuardContext): Guard & {
  readonly inFlight: number;
} {
  return new LocalConcurrencyLimit(strategy.maxConcurrency);
}

class LocalConcurrencyLimit implements Guard, Ticket {
  readonly order = 3;
  readonly tracksOutcome = true;
  inFlight = 0;

  constructor(private readonly max: number) {}

  enter(): Ticket | Block {
    if (this.inFlight >= this.max) return new Block('ConcurrencyLimitStrategy', 1000);
    this.inFlight += 1;
    return this;
  }

  exit(): void {
    this.inFlight -= 1;
  }

  cancel(): void {
    this.inFlight -= 1;
  }

  inspect(): GuardState {
    return { permits: this.inFlight };
  }

  dispose(): void {}
}
