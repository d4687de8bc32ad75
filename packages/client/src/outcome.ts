import type { Outcome } from '@opensergo/core';

const ABANDONED: Outcome = Object.freeze({ type: 'abandoned' });

/** Errors that mean the caller gave up on the call (an abort), not that the callee failed. */
function isAbort(error: unknown): boolean {
  const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown };
  return name === 'AbortError' || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR' || code === 'ERR_CANCELED';
}

/**
 * How an outgoing call that ended with `error` ended, for circuit breakers and metrics. The
 * caller aborting is not the callee's fault: the status it had already sent counts (a body
 * abandoned after a 200 is a 200, after a 503 a 503), else the call is abandoned. Anything
 * else (connection refused or reset, a headers or body timeout) is a failure.
 *
 * @example
 * ```ts
 * admission.exit(endedWith(statusCode, error));
 * ```
 */
export function endedWith(statusCode: number | undefined, error: unknown): Outcome {
  if (isAbort(error)) return statusCode === undefined ? ABANDONED : { type: 'finished', statusCode };
  return statusCode === undefined ? { type: 'failed', error } : { type: 'failed', error, statusCode };
}

/** A call whose response ended normally. */
export const finished = (statusCode: number): Outcome => ({ type: 'finished', statusCode });
