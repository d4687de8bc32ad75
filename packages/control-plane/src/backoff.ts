/**
 * Reconnection delays: capped exponential, with jitter so a fleet does not reconnect in step.
 *
 * @example
 * ```ts
 * import { createControlPlaneSource, type BackoffOptions } from '@opensergo/control-plane';
 *
 * const backoff: BackoffOptions = { initialMs: 200, maxMs: 10_000 };
 * await createControlPlaneSource({ endpoint: '127.0.0.1:10246', namespace: 'default', app: 'foo-app', backoff }).close();
 * ```
 */
export interface BackoffOptions {
  /** First delay, in milliseconds. */
  readonly initialMs: number;
  /** Largest delay, in milliseconds. */
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = Object.freeze({ initialMs: 500, maxMs: 30_000 });

/**
 * Delay before reconnection attempt `attempt` (0-based): `min(maxMs, initialMs × 2^attempt)`,
 * of which a random half is taken off ("equal jitter": never less than half the ceiling).
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
