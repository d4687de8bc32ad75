import type { Dispatcher } from 'undici';
import { isModern, LegacyPassThrough, ModernPassThrough, type AnyHandler } from './handler-shapes.js';

type Handler = Dispatcher.DispatchHandler;
/** Retries the call elsewhere: resolves `true` when it did (the error is then swallowed). */
export type Retry = (error: Error) => Promise<boolean>;

/**
 * What both handler shapes share: an error before the request was written to a connection
 * goes to `retry` first; the caller's handler sees it only when no other instance could take
 * the call.
 */
class Gate {
  started = false;
  constructor(private readonly retry: Retry) {}

  fail(deliver: () => unknown, error: unknown): unknown {
    if (this.started) return deliver();
    void this.retry(error as Error).then((retried) => {
      if (!retried) deliver();
    }, deliver);
    return undefined;
  }
}

/** undici's legacy handler shape (onConnect … onError), which fetch uses. */
class LegacyFailover extends LegacyPassThrough {
  constructor(
    inner: AnyHandler,
    private readonly gate: Gate,
  ) {
    super(inner);
  }
  override onConnect(...args: unknown[]): unknown {
    this.gate.started = true;
    return super.onConnect(...args);
  }
  override onError(...args: unknown[]): unknown {
    return this.gate.fail(() => super.onError(...args), args[args.length - 1]);
  }
}

/** undici's newer handler shape (onRequestStart … onResponseError). */
class ModernFailover extends ModernPassThrough {
  constructor(
    inner: AnyHandler,
    private readonly gate: Gate,
  ) {
    super(inner);
  }
  override onRequestStart(...args: unknown[]): unknown {
    this.gate.started = true;
    return super.onRequestStart(...args);
  }
  override onResponseError(...args: unknown[]): unknown {
    return this.gate.fail(() => super.onResponseError(...args), args[args.length - 1]);
  }
}

/**
 * Wraps `handler`, keeping its shape, so that an error before the request was written to a
 * connection (the instance refused it: `onConnect`/`onRequestStart` never came) goes to
 * `retry` first.
 *
 * @example
 * ```ts
 * agent.dispatch(options, failover(handler, (err) => path.failover(call, err).then(…)));
 * ```
 */
export function failover(handler: Handler, retry: Retry): Handler {
  const inner = handler as unknown as AnyHandler;
  const gate = new Gate(retry);
  return (isModern(handler) ? new ModernFailover(inner, gate) : new LegacyFailover(inner, gate)) as unknown as Handler;
}

/** Ends a call that never reached undici with `error`, in the handler's own shape. */
export function failCall(handler: Handler, error: Error): void {
  const inner = handler as unknown as AnyHandler;
  if (isModern(handler)) {
    const controller = { abort() {}, pause() {}, resume() {}, paused: false, aborted: true, reason: error };
    inner['onResponseError']?.(controller, error);
  } else inner['onError']?.(error);
}
