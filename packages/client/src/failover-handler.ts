import type { Dispatcher } from 'undici';

type Handler = Dispatcher.DispatchHandler;
type AnyHandler = Handler & Record<string, unknown>;
/** Retries the call elsewhere: resolves `true` when it did (the error is then swallowed). */
export type Retry = (error: Error) => Promise<boolean>;

// undici has two handler shapes: the legacy one (onConnect … onError), which fetch uses, and
// the newer one (onRequestStart … onResponseError). A wrapper must keep the shape it wraps.
const LEGACY = ['onResponseStarted', 'onHeaders', 'onData', 'onComplete', 'onUpgrade', 'onBodySent', 'onRequestSent'] as const;
const MODERN = ['onRequestUpgrade', 'onResponseStart', 'onResponseData', 'onResponseEnd'] as const;

/**
 * Wraps `handler` so that an error before the request was written to a connection (the
 * instance refused it: `onConnect`/`onRequestStart` never came) goes to `retry` first; the
 * caller's handler sees the error only when no other instance could take the call.
 *
 * @example
 * ```ts
 * agent.dispatch(options, failover(handler, (err) => path.failover(call, err).then(…)));
 * ```
 */
export function failover(handler: Handler, retry: Retry): Handler {
  const inner = handler as AnyHandler;
  const modern = typeof inner['onRequestStart'] === 'function';
  let started = false;
  const wrapped: Record<string, unknown> = {};
  for (const name of modern ? MODERN : LEGACY) {
    const method = inner[name];
    if (typeof method === 'function') wrapped[name] = (...args: unknown[]) => (method as (...a: unknown[]) => unknown).apply(inner, args);
  }
  const start = modern ? 'onRequestStart' : 'onConnect';
  wrapped[start] = (...args: unknown[]) => {
    started = true;
    return (inner[start] as ((...a: unknown[]) => unknown) | undefined)?.apply(inner, args);
  };
  const fail = modern ? 'onResponseError' : 'onError';
  wrapped[fail] = (...args: unknown[]) => {
    const error = args[args.length - 1] as Error;
    const deliver = (): unknown => (inner[fail] as (...a: unknown[]) => unknown).apply(inner, args);
    if (started) return deliver();
    void retry(error).then((retried) => {
      if (!retried) deliver();
    }, deliver);
    return undefined;
  };
  return wrapped as Handler;
}

/** Ends a call that never reached undici with `error`, in the handler's own shape. */
export function failCall(handler: Handler, error: Error): void {
  const inner = handler as AnyHandler;
  if (typeof inner['onResponseError'] === 'function' && typeof inner['onRequestStart'] === 'function') {
    const controller = { abort() {}, pause() {}, resume() {}, paused: false, aborted: true, reason: error };
    (inner['onResponseError'] as (c: unknown, e: Error) => void)(controller, error);
  } else (inner['onError'] as ((e: Error) => void) | undefined)?.(error);
}
