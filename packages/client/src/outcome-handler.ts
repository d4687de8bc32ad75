import type { Dispatcher } from 'undici';
import type { Entry } from '@opensergo/core';
import { endedWith, finished } from './outcome.js';

type Handler = Dispatcher.DispatchHandler;
type Method = (...args: unknown[]) => unknown;
type AnyHandler = Record<string, Method | undefined>;

/** What both handler shapes share: the status once known, and the one exit. */
abstract class Observed {
  protected status: number | undefined;
  constructor(
    protected readonly inner: AnyHandler,
    protected readonly admission: Entry,
  ) {}
  protected pass(name: string, args: unknown[]): unknown {
    return this.inner[name]?.apply(this.inner, args);
  }
  protected heard(status: number): void {
    if (status >= 200) this.status = status;
  }
  protected done(): void {
    this.admission.exit(finished(this.status ?? 200));
  }
  protected failed(error: unknown): void {
    this.admission.exit(endedWith(this.status, error));
  }
}

/** undici's legacy handler shape (onConnect … onError), which fetch uses. */
class LegacyObserved extends Observed {
  onConnect(...args: unknown[]): unknown {
    return this.pass('onConnect', args);
  }
  onHeaders(statusCode: number, ...rest: unknown[]): unknown {
    this.heard(statusCode);
    return this.pass('onHeaders', [statusCode, ...rest]);
  }
  onData(chunk: unknown): unknown {
    return this.inner['onData']?.call(this.inner, chunk);
  }
  onComplete(...args: unknown[]): unknown {
    this.done();
    return this.pass('onComplete', args);
  }
  onError(error: unknown): unknown {
    this.failed(error);
    return this.inner['onError']?.call(this.inner, error);
  }
  onUpgrade(statusCode: number, ...rest: unknown[]): unknown {
    this.heard(statusCode);
    this.done();
    return this.pass('onUpgrade', [statusCode, ...rest]);
  }
  onResponseStarted(...args: unknown[]): unknown {
    return this.pass('onResponseStarted', args);
  }
  onBodySent(...args: unknown[]): unknown {
    return this.pass('onBodySent', args);
  }
  onRequestSent(...args: unknown[]): unknown {
    return this.pass('onRequestSent', args);
  }
}

/** undici's newer handler shape (onRequestStart … onResponseError). */
class ModernObserved extends Observed {
  onRequestStart(...args: unknown[]): unknown {
    return this.pass('onRequestStart', args);
  }
  onRequestUpgrade(controller: unknown, statusCode: number, ...rest: unknown[]): unknown {
    this.heard(statusCode);
    this.done();
    return this.pass('onRequestUpgrade', [controller, statusCode, ...rest]);
  }
  onResponseStart(controller: unknown, statusCode: number, ...rest: unknown[]): unknown {
    this.heard(statusCode);
    return this.pass('onResponseStart', [controller, statusCode, ...rest]);
  }
  onResponseData(controller: unknown, chunk: unknown): unknown {
    return this.inner['onResponseData']?.call(this.inner, controller, chunk);
  }
  onResponseEnd(...args: unknown[]): unknown {
    this.done();
    return this.pass('onResponseEnd', args);
  }
  onResponseError(controller: unknown, error: unknown): unknown {
    this.failed(error);
    return this.inner['onResponseError']?.call(this.inner, controller, error);
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
  const modern = typeof inner['onRequestStart'] === 'function';
  return (modern ? new ModernObserved(inner, admission) : new LegacyObserved(inner, admission)) as unknown as Handler;
}
