import type { Clock } from './clock.js';
import type { Entry } from './engine.js';
import type { EngineMetrics } from './metrics/engine-metrics.js';
import type { OutcomeStats } from './metrics/rule-stats.js';
import type { Outcome, Ticket } from './strategies/guard.js';

/**
 * An admitted request's entry: on exit, the tickets that track outcomes hear how it ended, and
 * so do the route's outcome counters (failures, in flight, response time). Exits once.
 */
export class RequestEntry implements Entry {
  private done = false;
  constructor(
    private readonly tickets: readonly Ticket[],
    private readonly outcomes: readonly OutcomeStats[],
    private readonly enteredAt: number,
    private readonly clock: Clock,
    private readonly metrics: EngineMetrics,
  ) {
    for (let i = 0; i < outcomes.length; i++) outcomes[i]!.inFlight += 1;
  }

  exit(outcome: Outcome): void {
    if (this.done) return;
    this.done = true;
    const now = this.clock.now();
    for (const ticket of this.tickets) if (ticket.tracksOutcome) ticket.exit(outcome, this.enteredAt, now);
    const listener = this.metrics.outcomeListener;
    for (const stats of this.outcomes) stats.record(outcome, now - this.enteredAt, listener);
  }
}
