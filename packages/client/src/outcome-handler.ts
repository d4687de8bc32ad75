import type { Dispatcher } from 'undici';
import type { Entry } from '@opensergo/core';
import { isModern, LegacyPassThrough, ModernPassThrough, type AnyHandler } from './handler-shapes.js';
import { endedWith, finished } from './outcome.js';

type Handler = Dispatcher.DispatchHandler;

/** What both handler shapes share: the status once known, and the one exit. */
class Follow {
  private status: number | undefined;
  constructor(private readonly admission: Entry) {}
  heard(status: unknown): void {
    if (typeof status === 'number' && status >= 200) this.status = status;
  }
  done(): void {
    this.admission.exit(finished(this.status ?? 200));
  }
  failed(error: unknown): void {
    this.admission.exit(endedWith(this.status, error));
  }
}

/** undici's legacy handler shape (onConnect … onError), which fetch uses. */
class LegacyObserved extends LegacyPassThrough {
  constructor(
    inner: AnyHandler,
    private readonly follow: Follow,
  ) {
    super(inner);
  }
  override onHeaders(...args: unknown[]): unknown {
    this.follow.heard(args[0]);
    return super.onHeaders(...args);
  }
  override onComplete(...args: unknown[]): unknown {
    this.follow.done();
    return super.onComplete(...args);
  }
  override onError(...args: unknown[]): unknown {
    this.follow.failed(args[0]);
    return super.onError(...args);
  }
  override onUpgrade(...args: unknown[]): unknown {
    this.follow.heard(args[0]);
    this.follow.done();
    return super.onUpgrade(...args);
  }
}

/** undici's newer handler shape (onRequestStart … onResponseError). */
class ModernObserved extends ModernPassThrough {
  constructor(
    inner: AnyHandler,
    private readonly follow: Follow,
  ) {
    super(inner);
  }
  override onRequestUpgrade(...args: unknown[]): unknown {
    this.follow.heard(args[1]);
    this.follow.done();
    return super.onRequestUpgrade(...args);
  }
  override onResponseStart(...args: unknown[]): unknown {
    this.follow.heard(args[1]);
    return super.onResponseStart(...args);
  }
  override onResponseEnd(...args: unknown[]): unknown {
    this.follow.done();
    return super.onResponseEnd(...args);
  }
  override onResponseError(...args: unknown[]): unknown {
    this.follow.failed(args[1]);
    return super.onResponseError(...args);
  }
}

/**
 * Wraps `handler`, keeping its shape, so that `admission` hears how the call ended, exactly once:
 * the response's end (with its status: a 5xx counts as a failure for breakers), an error
 * (connection refused or reset, a timeout: failures), or the caller aborting (the status if it
 * had come, else abandoned). A body the caller cancels ends the call through undici's error.
 *
 * @example
 * ```ts
 * sender.dispatch(options, observe(handler, call.admission));
 * ```
 */
export function observe(handler: Handler, admission: Entry): Handler {
  const inner = handler as unknown as AnyHandler;
  const follow = new Follow(admission);
  return (isModern(handler) ? new ModernObserved(inner, follow) : new LegacyObserved(inner, follow)) as unknown as Handler;
}
