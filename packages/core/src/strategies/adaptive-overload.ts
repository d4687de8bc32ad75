import type { AdaptiveOverloadProtectionStrategy } from '../rules/types.js';
import { CompletionWindow } from './completion-window.js';
import { Block, type Guard, type GuardContext, type GuardFactory, type GuardState, type Outcome, type Ticket } from './guard.js';

/**
 * AdaptiveOverloadProtectionStrategy (docs/rules.md). The engine's sampler refreshes the metric on a
 * timer; after each sample this guard compares it with `triggerThreshold` (strictly greater
 * is "over") and emits `overload:state` when that flips. Per request it only reads a boolean:
 * - `NONE`: refuse while over.
 * - `BBR`: while over, refuse when this target's in-flight requests exceed both 1 and max
 *   completed-per-second × min response time over the last second (Sentinel's BBR check).
 *   In-flight and completions are tracked through tickets, so only BBR needs outcomes.
 * Refusals carry Retry-After = the sampling interval (when the metric is next looked at).
 */
export const createAdaptiveOverloadGuard: GuardFactory<AdaptiveOverloadProtectionStrategy> = (strategy, context) =>
  new AdaptiveOverload(strategy, context);

export class AdaptiveOverload implements Guard, Ticket {
  readonly order = 0;
  readonly tracksOutcome: boolean;
  /** Whether the metric was over the threshold at the last sample. */
  shedding = false;
  inFlight = 0;
  private readonly bbr: CompletionWindow | undefined;
  private readonly block: Block;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly strategy: AdaptiveOverloadProtectionStrategy,
    private readonly context: GuardContext,
  ) {
    this.bbr = strategy.adaptiveStrategy === 'BBR' ? new CompletionWindow() : undefined;
    this.tracksOutcome = this.bbr !== undefined;
    this.block = new Block('AdaptiveOverloadProtectionStrategy', context.metrics.intervalMs);
    this.unsubscribe = context.metrics.subscribe(strategy.metricType, this.sampled);
  }

  enter(now: number): Ticket | Block {
    if (this.shedding) {
      if (!this.bbr) return this.block;
      if (this.inFlight > 1 && this.inFlight > this.bbr.capacity(now)) return this.block;
    }
    if (this.bbr) this.inFlight += 1;
    return this;
  }

  /** Only BBR tracks outcomes: a finished or failed request is a completion; abandoned is not. */
  exit(outcome: Outcome, enteredAt: number, now: number): void {
    if (!this.bbr) return;
    this.inFlight -= 1;
    if (outcome.type !== 'abandoned') this.bbr.record(now, now - enteredAt);
  }

  cancel(): void {
    if (this.bbr) this.inFlight -= 1;
  }

  inspect(): GuardState {
    return { shedding: this.shedding };
  }

  dispose(): void {
    this.unsubscribe();
    this.setShedding(false, this.context.metrics.value(this.strategy.metricType));
  }

  private readonly sampled = (): void => {
    const value = this.context.metrics.value(this.strategy.metricType);
    this.setShedding(value > this.strategy.triggerThreshold, value);
  };

  private setShedding(shedding: boolean, value: number): void {
    if (shedding === this.shedding) return;
    this.shedding = shedding;
    const { target, events } = this.context;
    const { name: strategy, metricType: metric, triggerThreshold: threshold } = this.strategy;
    events.emit('overload:state', { target, strategy, metric, shedding, value, threshold });
  }
}
