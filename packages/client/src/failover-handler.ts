import type { Dispatcher } from 'undici';

type Handler = Dispatcher.DispatchHandler;
type Method = (...args: unknown[]) => unknown;
type AnyHandler = Handler & Record<string, Method | undefined>;
/** Retries the call elsewhere: resolves `true` when it did (the error is then swallowed). */
export type Retry = (error: Error) => Promise<boolean>;

/**
 * The part shared by both handler shapes: an error before the request was written to a
 * connection goes to `retry` first; the caller's handler sees it only when no other instance
 * could take the call.
 */
abstract class Failover {
  protected started = false;
  constructor(
    protected readonly inner: AnyHandler,
    private readonly retry: Retry,
  ) {}

  protected fail(name: string, args: unknown[]): unknown {
    const deliver = (): unknown => this.inner[name]?.apply(this.inner, args);
    if (this.started) return deliver();
    void this.retry(args[args.length - 1] as Error).then((retried) => {
      if (!retried) deliver();
    }, deliver);
    return undefined;
  }

  protected pass(name: string, args: unknown[]): unknown {
    return this.inner[name]?.apply(this.inner, args);
  }
}

/** undici's legacy handler shape (onConnect … onError), which fetch uses. */
class LegacyFailover extends Failover {
  onConnect(...args: unknown[]): unknown {
    this.started = true;
    return this.pass('onConnect', args);
  }
  onError(...args: unknown[]): unknown {
    return this.fail('onError', args);
  }
  onResponseStarted(...args: unknown[]): unknown {
    return this.pass('onResponseStarted', args);
  }
  onHeaders(...args: unknown[]): unknown {
    return this.pass('onHeaders', args);
  }
  onData(...args: unknown[]): unknown {
    return this.pass('onData', args);
  }
  onComplete(...args: unknown[]): unknown {
    return this.pass('onComplete', args);
  }
  onUpgrade(...args: unknown[]): unknown {
    return this.pass('onUpgrade', args);
  }
  onBodySent(...args: unknown[]): unknown {
    return this.pass('onBodySent', args);
  }
  onRequestSent(...args: unknown[]): unknown {
    return this.pass('onRequestSent', args);
  }
}

/** undici's newer handler shape (onRequestStart … onResponseError). */
class ModernFailover extends Failover {
  onRequestStart(...args: unknown[]): unknown {
    this.started = true;
    return this.pass('onRequestStart', args);
  }
  onResponseError(...args: unknown[]): unknown {
    return this.fail('onResponseError', args);
  }
  onRequestUpgrade(...args: unknown[]): unknown {
    return this.pass('onRequestUpgrade', args);
  }
  onResponseStart(...args: unknown[]): unknown {
    return this.pass('onResponseStart', args);
  }
  onResponseData(...args: unknown[]): unknown {
    return this.pass('onResponseData', args);
  }
  onResponseEnd(...args: unknown[]): unknown {
    return this.pass('onResponseEnd', args);
  }
}

const isModern = (handler: AnyHandler): boolean => typeof handler['onRequestStart'] === 'function';

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
  const inner = handler as AnyHandler;
  return (isModern(inner) ? new ModernFailover(inner, retry) : new LegacyFailover(inner, retry)) as unknown as Handler;
}

/** Ends a call that never reached undici with `error`, in the handler's own shape. */
export function failCall(handler: Handler, error: Error): void {
  const inner = handler as AnyHandler;
  if (isModern(inner)) {
    const controller = { abort() {}, pause() {}, resume() {}, paused: false, aborted: true, reason: error };
    inner['onResponseError']?.(controller, error);
  } else inner['onError']?.(error);
}
