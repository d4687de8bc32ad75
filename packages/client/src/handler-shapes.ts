import type { Dispatcher } from 'undici';

type Method = (...args: unknown[]) => unknown;
/** A dispatch handler as a bag of optional methods, whichever shape it has. */
export type AnyHandler = Record<string, Method | undefined>;

/** undici's newer handler shape has `onRequestStart`; the legacy one (fetch's) `onConnect`. */
export const isModern = (handler: Dispatcher.DispatchHandler): boolean =>
  typeof (handler as unknown as AnyHandler)['onRequestStart'] === 'function';

/**
 * A wrapper of undici's legacy handler shape (onConnect … onError, which fetch uses) passing
 * every call through to `inner`; wrappers override the methods they watch. A wrapper must
 * keep the shape of what it wraps: undici tells the shapes apart by which methods exist.
 */
export class LegacyPassThrough {
  constructor(protected readonly inner: AnyHandler) {}
  protected pass(name: string, args: unknown[]): unknown {
    return this.inner[name]?.apply(this.inner, args);
  }
  onConnect(...args: unknown[]): unknown {
    return this.pass('onConnect', args);
  }
  onError(...args: unknown[]): unknown {
    return this.pass('onError', args);
  }
  onUpgrade(...args: unknown[]): unknown {
    return this.pass('onUpgrade', args);
  }
  onResponseStarted(...args: unknown[]): unknown {
    return this.pass('onResponseStarted', args);
  }
  onHeaders(...args: unknown[]): unknown {
    return this.pass('onHeaders', args);
  }
  onData(chunk: unknown): unknown {
    return this.inner['onData']?.call(this.inner, chunk);
  }
  onComplete(...args: unknown[]): unknown {
    return this.pass('onComplete', args);
  }
  onBodySent(...args: unknown[]): unknown {
    return this.pass('onBodySent', args);
  }
  onRequestSent(...args: unknown[]): unknown {
    return this.pass('onRequestSent', args);
  }
}

/** The same for undici's newer handler shape (onRequestStart … onResponseError). */
export class ModernPassThrough {
  constructor(protected readonly inner: AnyHandler) {}
  protected pass(name: string, args: unknown[]): unknown {
    return this.inner[name]?.apply(this.inner, args);
  }
  onRequestStart(...args: unknown[]): unknown {
    return this.pass('onRequestStart', args);
  }
  onRequestUpgrade(...args: unknown[]): unknown {
    return this.pass('onRequestUpgrade', args);
  }
  onResponseStart(...args: unknown[]): unknown {
    return this.pass('onResponseStart', args);
  }
  onResponseData(controller: unknown, chunk: unknown): unknown {
    return this.inner['onResponseData']?.call(this.inner, controller, chunk);
  }
  onResponseEnd(...args: unknown[]): unknown {
    return this.pass('onResponseEnd', args);
  }
  onResponseError(...args: unknown[]): unknown {
    return this.pass('onResponseError', args);
  }
}
