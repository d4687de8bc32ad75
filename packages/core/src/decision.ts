// The engine's answers, as adapters and handlers see them: what a request decided, its
// context, and the handle that reports how an admitted request ended.
import type { FallbackResponse } from './fallback.js';
import type { StrategyKind } from './rules/types.js';
import type { Outcome } from './strategies/guard.js';

/** What a handler sees: `req.opensergo`, `ctx.state.opensergo`, `request.opensergo`. */
export interface RequestContext {
  /**
   * The most specific matching target, as written in its rule (an exact path beats
   * parameters, parameters beat `**`, a method beats any method); else the normalised path.
   */
  readonly resource: string;
  /** The primary traffic label (the first), if any. */
  readonly trafficLabel: string | undefined;
  /** Every traffic label, incoming first, then matched rules in file order. */
  readonly trafficLabels: readonly string[];
}

/** An admitted request's handle: report how it ended, once (later calls are ignored). */
export interface Entry {
  exit(outcome: Outcome): void;
}

/** The engine's answer for one request. A block is a value, never an exception. */
export type Decision =
  | {
      readonly type: 'pass';
      readonly context: RequestContext;
      readonly entry: Entry | undefined;
      /** Headers to add to the response (the `RateLimit` fields, with `rateLimitHeaders`). */
      readonly headers?: Readonly<Record<string, string>>;
    }
  | {
      readonly type: 'block';
      readonly context: RequestContext;
      readonly response: FallbackResponse;
      /** Which strategy kind refused, and in which rule. */
      readonly kind: StrategyKind;
      readonly rule: string;
    };
