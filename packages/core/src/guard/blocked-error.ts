import type { RequestContext } from '../engine.js';
import { OpenSergoError } from '../errors.js';
import type { FallbackResponse } from '../fallback.js';
import type { StrategyKind } from '../rules/types.js';

/** Why a guarded call or an outgoing call was refused: what a fallback function receives. */
export interface Blocked {
  /** The resource as the rule names it (the most specific matching target). */
  readonly resource: string;
  /** Which strategy kind refused. */
  readonly kind: StrategyKind;
  /** The rule it belongs to: `FaultToleranceRule/<name>`. */
  readonly rule: string;
  /** The rule's fallback response (HttpRequestFallbackAction), else the default 429/503. */
  readonly response: FallbackResponse;
  /** The context it was decided in: the request's traffic labels when made inside one. */
  readonly context: RequestContext;
}

/**
 * `ERR_OPENSERGO_BLOCKED`: a guarded function or an outgoing call was refused by a strategy.
 * Carries the {@link Blocked} fields (`kind`, `rule`, `resource`, `response`, `context`).
 *
 * @example
 * ```ts
 * import { guard, isOpenSergoError } from '@opensergo/core';
 * try {
 *   await guard('db:orders', () => db.query(sql));
 * } catch (err) {
 *   if (isOpenSergoError(err, 'ERR_OPENSERGO_BLOCKED')) console.log(err.kind, err.rule);
 * }
 * ```
 */
export class BlockedError extends OpenSergoError implements Blocked {
  readonly resource: string;
  readonly kind: StrategyKind;
  readonly rule: string;
  readonly response: FallbackResponse;
  readonly context: RequestContext;

  constructor(blocked: Blocked) {
    super('ERR_OPENSERGO_BLOCKED', `${blocked.resource} was refused by ${blocked.kind} of ${blocked.rule}`);
    this.resource = blocked.resource;
    this.kind = blocked.kind;
    this.rule = blocked.rule;
    this.response = blocked.response;
    this.context = blocked.context;
  }
}

/**
 * A {@link BlockedError} without a stack trace. Refusals are expected outcomes that come in
 * floods (an open breaker, a shed load), when the process can least afford it: capturing a
 * stack costs ten times the decision, and the message already names the resource and the
 * rule, which say where the call was made.
 *
 * @example
 * ```ts
 * return Promise.reject(blockedError(blocked));
 * ```
 */
export function blockedError(blocked: Blocked): BlockedError {
  const limit = Error.stackTraceLimit;
  if (!stackLimitWritable) return new BlockedError(blocked);
  Error.stackTraceLimit = 0;
  try {
    return new BlockedError(blocked);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Hardened environments (SES lockdown) freeze `Error`: then refusals keep their stacks. */
const stackLimitWritable = Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit')?.writable === true && !Object.isFrozen(Error);
