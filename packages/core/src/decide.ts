import type { Clock } from './clock.js';
import type { Decision, Entry, RequestContext } from './engine.js';
import type { EngineEvents } from './events.js';
import { defaultFallback, fallbackResponse } from './fallback.js';
import type { Logger } from './logger.js';
import type { Binding, Route } from './matching/resource-index.js';
import { blockEvent } from './metrics/block-event.js';
import type { EngineMetrics } from './metrics/engine-metrics.js';
import { rateLimitFields } from './rate-limit-headers.js';
import { RequestEntry } from './request-entry.js';
import type { RequestView } from './request-view.js';
import { Block, type GuardResult, type Ticket } from './strategies/guard.js';

/**
 * What the request holds after the guard at `i` admitted it with `result`. `undefined` means
 * every guard so far handed back itself (a closed breaker, a local limit): the route's own
 * guards are then the tickets, and the hot path allocates no list. The first guard that hands
 * out something else (a probe, a remote permit) starts an explicit list, which keeps a ticket
 * only if it must hear the outcome or a later check could still make it give back its admission.
 */
function take(tickets: Ticket[] | undefined, bindings: readonly Binding[], i: number, result: Ticket): Ticket[] | undefined {
  if (tickets === undefined) {
    if ((result as unknown) === bindings[i]!.guard) return undefined;
    tickets = guardsBefore(bindings, i);
  }
  if (result.tracksOutcome || i < bindings.length - 1) tickets.push(result);
  return tickets;
}

/** The tickets a request holds when the guards before `i` all admitted it by handing back themselves. */
function guardsBefore(bindings: readonly Binding[], i: number): Ticket[] {
  const tickets: Ticket[] = [];
  for (let j = 0; j < i; j++) tickets.push(bindings[j]!.guard as unknown as Ticket);
  return tickets;
}

function tracksAny(tickets: readonly Ticket[]): boolean {
  for (let i = 0; i < tickets.length; i++) if (tickets[i]!.tracksOutcome) return true;
  return false;
}

const isPromise = (value: unknown): value is Promise<GuardResult> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';


/**
 * Decides a request on its route: runs the route's guards in check order, gives back what
 * earlier guards took when a later one refuses, and builds the pass or block decision. The
 * engine's `enter` (incoming requests), `guard` and the outgoing-call step all decide here.
 */
export class Decider {
  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly events: EngineEvents,
    private readonly observed: EngineMetrics,
    private readonly rateLimitHeaders: boolean,
    /** Follow every admitted request to its end for metrics (`outcomeMetrics: 'all'`). */
    private readonly followAll: boolean,
  ) {}

  /** Runs the route's checks from `start` (0 for a new request); synchronous unless a guard waits. */
  check(
    view: RequestView,
    route: Route,
    start: number,
    enteredAt: number,
    context: RequestContext,
    tickets: Ticket[] | undefined,
  ): Decision | Promise<Decision> {
    // Synchronous checks happen at one instant: one clock read serves them all. After a
    // wait (resume), `now` is read again for the checks that follow it.
    const bindings = route.bindings;
    const now = start === 0 ? enteredAt : this.clock.now();
    for (let i = start; i < bindings.length; i++) {
      const guard = bindings[i]!.guard;
      const result = guard.enter(now, view, context);
      // The common admission first (a local limit or a closed breaker handing back itself, no
      // list started), before the promise and Block tests: what take() would do here.
      if ((result as unknown) === guard && tickets === undefined) continue;
      if (isPromise(result)) return this.resume(view, result, route, i, enteredAt, context, tickets);
      if (result instanceof Block) {
        if (!bindings[i]!.dryRun) return this.block(view, route, i, result, context, tickets, enteredAt);
        tickets = this.wouldBlock(route, i, result, context, tickets);
        continue;
      }
      tickets = take(tickets, bindings, i, result);
    }
    return this.pass(view, route, context, tickets, enteredAt);
  }

  private async resume(
    view: RequestView,
    pending: Promise<GuardResult>,
    route: Route,
    i: number,
    enteredAt: number,
    context: RequestContext,
    tickets: Ticket[] | undefined,
  ): Promise<Decision> {
    const bindings = route.bindings;
    let result: GuardResult;
    try {
      result = await pending;
    } catch (error) {
      // A guard must resolve; if one fails anyway, fail open rather than turn it into a 500.
      this.logger.error(`a ${bindings[i]!.rule} check failed; the request was admitted: ${String(error)}`);
      return this.check(view, route, i + 1, enteredAt, context, tickets);
    }
    if (result instanceof Block) {
      if (!bindings[i]!.dryRun) return this.block(view, route, i, result, context, tickets, enteredAt);
      return this.check(view, route, i + 1, enteredAt, context, this.wouldBlock(route, i, result, context, tickets));
    }
    return this.check(view, route, i + 1, enteredAt, context, take(tickets, bindings, i, result));
  }

  /**
   * A dry-run guard at `i` refused: count it, tell listeners, and go on as if it had not been
   * asked. It took nothing, so from here the request holds an explicit list without it.
   */
  private wouldBlock(route: Route, i: number, block: Block, context: RequestContext, tickets: Ticket[] | undefined): Ticket[] {
    const binding = route.bindings[i]!;
    binding.stats.wouldBlock += 1;
    if (this.events.hearsWouldBlock) this.events.emit('request:would-block', blockEvent(binding, block, context));
    return tickets ?? guardsBefore(route.bindings, i);
  }

  private pass(view: RequestView, route: Route, context: RequestContext, tickets: Ticket[] | undefined, enteredAt: number): Decision {
    const bindings = route.bindings;
    for (let i = 0; i < bindings.length; i++) bindings[i]!.stats.passed += 1;
    const held = tickets ?? route.ownTickets;
    if ((held.length === 0 || (tickets && !tracksAny(tickets))) && !this.followAll) {
      if (!this.rateLimitHeaders) return context === route.unlabelled ? route.unlabelledPass : { type: 'pass', context, entry: undefined };
      return this.withHeaders(view, route, context, undefined);
    }
    const entry = new RequestEntry(held, route.outcomes, enteredAt, this.clock, this.observed);
    return this.rateLimitHeaders ? this.withHeaders(view, route, context, entry) : { type: 'pass', context, entry };
  }

  /** A pass decision carrying the `RateLimit` fields of the route's rate limits. */
  private withHeaders(view: RequestView, route: Route, context: RequestContext, entry: Entry | undefined): Decision {
    const headers = rateLimitFields(route.bindings, this.clock.now(), view, context);
    return headers ? { type: 'pass', context, entry, headers } : { type: 'pass', context, entry };
  }

  /** The guard at `i` refused: what earlier guards took is given back, then the fallback answers. */
  private block(
    view: RequestView,
    route: Route,
    i: number,
    block: Block,
    context: RequestContext,
    tickets: Ticket[] | undefined,
    enteredAt: number,
  ): Decision {
    const binding = route.bindings[i]!;
    binding.stats.blocked += 1;
    if (tickets || i > 0) {
      const now = this.clock.now();
      for (const ticket of tickets ?? guardsBefore(route.bindings, i)) ticket.cancel(enteredAt, now);
    }
    if (this.events.hearsBlocked) this.events.emit('request:blocked', blockEvent(binding, block, context));
    const fallback = binding.fallback ?? defaultFallback(block.kind);
    let response = fallback.respond(block);
    const fields = this.rateLimitHeaders ? rateLimitFields(route.bindings, this.clock.now(), view, context) : undefined;
    if (fields) response = fallbackResponse(response.statusCode, { ...response.headers, ...fields }, response.body);
    return { type: 'block', context, response, kind: block.kind, rule: binding.rule };
  }
}
