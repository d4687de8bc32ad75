import { Block, type ConcurrencyLimitStrategy, type GuardResult, type Ticket } from '@opensergo/core';

/**
 * A Global concurrency limit's fallback while Redis is away: this instance's fair share,
 * max / live instances (at least 1 when max ≥ 1, so a degraded service still serves),
 * counting every request the guard has in flight, global or local.
 */
export class ConcurrencyShare {
  /** Requests the guard admitted that have not ended (global and local). */
  inFlight = 0;
  private readonly permit: Ticket;

  constructor(
    private readonly strategy: ConcurrencyLimitStrategy,
    private readonly instanceCount: () => number,
  ) {
    const release = (): void => {
      this.inFlight -= 1;
    };
    this.permit = { tracksOutcome: true, exit: release, cancel: release };
  }

  enter(): GuardResult {
    const share = Math.max(1, Math.floor(this.strategy.maxConcurrency / Math.max(1, this.instanceCount())));
    if (this.inFlight >= share) return new Block('ConcurrencyLimitStrategy', 1000);
    this.inFlight += 1;
    return this.permit;
  }
}
