import type { Clock, Timer } from '../clock.js';
import type { CircuitBreakerStrategy } from '../rules/types.js';
import { BreakerWindow } from './breaker-window.js';
import { Block, type Guard, type GuardContext, type GuardFactory, type GuardState, type Outcome, type Ticket } from './guard.js';

export type BreakerState = 'closed' | 'open' | 'half-open';
type Verdict = 'ok' | 'bad' | 'unknown';

/**
 * CircuitBreakerStrategy (docs/rules.md). Closed: requests pass and their outcomes fill a sliding
 * window; when it holds ≥ `minRequestAmount` requests, at least one bad, and bad/total ≥
 * `triggerRatio`, the breaker opens. Open: refused with Retry-After = time until the next
 * probe. After `recoveryTimeoutMs` the next request is the one probe (half-open); others are
 * refused until it ends. A good probe closes the breaker with fresh statistics; a bad,
 * abandoned or timed-out one reopens it for another `recoveryTimeoutMs`.
 *
 * Bad means: ErrorRequestRatio, a failed request or an error status (`errorStatusCodes`, else
 * ≥ 500); SlowRequestRatio, a response time (from arrival at the middleware) over
 * `maxAllowedRtMs`. An abandoned request counts only when it is already known to be slow;
 * otherwise its result is unknown and it is left out.
 */
export const createCircuitBreakerGuard: GuardFactory<CircuitBreakerStrategy> = (strategy, context) =>
  new CircuitBreaker(strategy, context);

/** How long a probe may run before it counts as bad (see the class comment). */
export function probeTimeoutMs(strategy: CircuitBreakerStrategy): number {
  return strategy.strategy === 'SlowRequestRatio' && strategy.maxAllowedRtMs !== undefined
    ? strategy.maxAllowedRtMs
    : strategy.recoveryTimeoutMs;
}

/** The single request let through while half-open. */
class Probe implements Ticket {
  readonly tracksOutcome = true;
  timer: Timer | undefined;
  constructor(
    private readonly breaker: CircuitBreaker,
    private readonly clock: Clock,
  ) {}
  exit(outcome: Outcome, enteredAt: number, now: number): void {
    this.breaker.probeEnded(this, outcome, now - enteredAt, now);
  }
  cancel(): void {
    this.breaker.probeCancelled(this);
  }
  readonly timedOut = (): void => {
    this.timer = undefined;
    this.breaker.probeEnded(this, undefined, Infinity, this.clock.now());
  };
}

export class CircuitBreaker implements Guard, Ticket {
  readonly order = 1;
  readonly tracksOutcome = true;
  state: BreakerState = 'closed';
  readonly window: BreakerWindow;
  /** Closed-state requests that entered before this instant belong to older statistics. */
  private closedSince = -Infinity;
  private nextProbeAt = 0;
  private probe: Probe | undefined;
  private disposed = false;
  private readonly errorCodes: ReadonlySet<number> | undefined;
  private readonly slowMs: number;

  constructor(
    private readonly strategy: CircuitBreakerStrategy,
    private readonly context: GuardContext,
  ) {
    this.window = new BreakerWindow(strategy.statDurationMs);
    this.errorCodes = strategy.errorStatusCodes && new Set(strategy.errorStatusCodes);
    this.slowMs = strategy.maxAllowedRtMs ?? Infinity;
  }

  enter(now: number): Ticket | Block {
    if (this.state === 'closed') return this;
    if (this.state === 'open') {
      if (now < this.nextProbeAt) return new Block('CircuitBreakerStrategy', this.nextProbeAt - now);
      this.moveTo('half-open');
    }
    // Half-open: a probe is running (its verdict is imminent), or this request becomes it.
    if (this.probe) return new Block('CircuitBreakerStrategy', 0);
    const probe = new Probe(this, this.context.clock);
    this.probe = probe;
    if (!this.disposed) probe.timer = this.context.clock.setTimer(probe.timedOut, probeTimeoutMs(this.strategy));
    return probe;
  }

  /** A request admitted while closed ended. */
  exit(outcome: Outcome, enteredAt: number, now: number): void {
    if (this.state !== 'closed' || enteredAt < this.closedSince) return;
    const verdict = this.judge(outcome, now - enteredAt);
    if (verdict === 'unknown') return;
    const w = this.window;
    w.record(now, verdict === 'bad');
    if (w.bad > 0 && w.total >= this.strategy.minRequestAmount && w.bad / w.total >= this.strategy.triggerRatio) {
      this.open(now);
    }
  }

  /** Closed admissions take nothing (statistics are recorded on exit). */
  cancel(): void {}

  probeEnded(probe: Probe, outcome: Outcome | undefined, rtMs: number, now: number): void {
    if (this.probe !== probe) return;
    this.probe = undefined;
    if (probe.timer !== undefined) this.context.clock.clearTimer(probe.timer);
    probe.timer = undefined;
    if (outcome && outcome.type !== 'abandoned' && this.judge(outcome, rtMs) === 'ok') {
      this.window.reset();
      this.closedSince = now;
      this.moveTo('closed');
    } else this.open(now);
  }

  /** A later check refused the probe request: it proved nothing; the next request probes. */
  probeCancelled(probe: Probe): void {
    if (this.probe !== probe) return;
    this.probe = undefined;
    if (probe.timer !== undefined) this.context.clock.clearTimer(probe.timer);
  }

  inspect(): GuardState {
    return { breaker: this.state };
  }

  dispose(): void {
    this.disposed = true;
    const probe = this.probe;
    if (probe?.timer !== undefined) this.context.clock.clearTimer(probe.timer);
    if (probe) probe.timer = undefined;
  }

  private judge(outcome: Outcome, rtMs: number): Verdict {
    const slow = rtMs > this.slowMs;
    if (this.strategy.strategy === 'SlowRequestRatio') return slow ? 'bad' : outcome.type === 'abandoned' ? 'unknown' : 'ok';
    switch (outcome.type) {
      case 'failed':
        return 'bad';
      case 'abandoned':
        return 'unknown';
      case 'finished':
        return (this.errorCodes ? this.errorCodes.has(outcome.statusCode) : outcome.statusCode >= 500) ? 'bad' : 'ok';
    }
  }

  private open(now: number): void {
    this.nextProbeAt = now + this.strategy.recoveryTimeoutMs;
    this.moveTo('open');
  }

  private moveTo(state: BreakerState): void {
    if (state === this.state) return;
    this.state = state;
    this.context.events.emit('breaker:state', { target: this.context.target, strategy: this.strategy.name, state });
  }
}
