import type { Outcome } from '@opensergo/core';

const ABANDONED: Outcome = Object.freeze({ type: 'abandoned' });

/** Errors that mean the caller gave up on the call (an abort), not that the callee failed. */
export function isAbort(error: unknown): boolean {
  const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown };
  return name === 'AbortError' || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR' || code === 'ERR_CANCELED';
}

/**
 * A timeout: `AbortSignal.timeout()`'s reason (a `TimeoutError`), as fetch and undici end the
 * call with it, or inside the `AbortError` node:http wraps a signal's reason in (its `cause`).
 */
function isTimeout(error: unknown): boolean {
  const { name, cause } = (error ?? {}) as { name?: unknown; cause?: unknown };
  return name === 'TimeoutError' || (cause as { name?: unknown } | null | undefined)?.name === 'TimeoutError';
}

/**
 * How an outgoing call that ended with `error` ended, for circuit breakers and metrics.
 * `aborted`: the caller ended it (a signal, a body cancelled), whatever the error says; by
 * default, an error that is an abort. The caller aborting is not the callee's fault, whatever
 * the reason: the status it had already sent counts (a body abandoned after a 200 is a 200,
 * after a 503 a 503), else the call is abandoned. A timeout is the callee's slowness: a
 * failure, whether the caller's (`AbortSignal.timeout()`) or the transport's (undici's headers
 * and body timeouts). Anything else (connection refused or reset) is a failure.
 *
 * @example
 * ```ts
 * admission.exit(endedWith(statusCode, error));
 * ```
 */
export function endedWith(statusCode: number | undefined, error: unknown, aborted = isAbort(error)): Outcome {
  if (aborted && !isTimeout(error)) return statusCode === undefined ? ABANDONED : { type: 'finished', statusCode };
  return statusCode === undefined ? { type: 'failed', error } : { type: 'failed', error, statusCode };
}

/** A call whose response ended normally. */
export const finished = (statusCode: number): Outcome => ({ type: 'finished', statusCode });
