import type { Dispatcher } from 'undici';
import type { Entry } from '@opensergo/core';
import { isModern, LegacyPassThrough, ModernPassThrough, type AnyHandler } from './handler-shapes.js';
import { endedWith, finished, isAbort } from './outcome.js';

type Handler = Dispatcher.DispatchHandler;

/** What both handler shapes share: the status once known, and the one exit. */
class Follow {
  private status: number | undefined;
  /** The caller called abort: the error that follows is its reason, whatever it is. */
  private aborted = false;
  constructor(private readonly admission: Entry) {}
  /** `abort`, telling this first that the caller ended the call. */
  watch(abort: Abort): Abort {
    return (reason) => {
      this.aborted = true;
      abort(reason);
    };
  }
  heard(status: unknown): void {
    if (typeof status === 'number' && status >= 200) this.status = status;
  }
  done(): void {
    this.admission.exit(finished(this.status ?? 200));
  }
  failed(error: unknown): void {
    this.admission.exit(endedWith(this.status, error, this.aborted || isAbort(error)));
  }
}

type Abort = (reason?: unknown) => void;

/** undici's controller of a call (the newer handler shape), its `abort` watched. */
interface Controller {
  abort: Abort;
  pause(): void;
  resume(): void;
  readonly paused: boolean;
  readonly aborted: boolean;
  readonly reason: unknown;
}

function watched(controller: Controller, follow: Follow): Controller {
  const abort = follow.watch((reason) => controller.abort(reason));
  return {
    abort,
    pause: () => controller.pause(),
    resume: () => controller.resume(),
    get paused() {
      return controller.paused;
    },
    get aborted() {
      return controller.aborted;
    },
    get reason() {
      return controller.reason;
    },
  };
}

/** undici's legacy handler shape (onConnect … onError), which fetch uses. */
class LegacyObserved extends LegacyPassThrough {
  constructor(
    inner: AnyHandler,
    private readonly follow: Follow,
  ) {
    super(inner);
  }
  override onConnect(...args: unknown[]): unknown {
    if (typeof args[0] === 'function') args[0] = this.follow.watch(args[0] as Abort);
    return super.onConnect(...args);
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
  private controller: Controller | undefined;
  private seen: Controller | undefined;
  constructor(
    inner: AnyHandler,
    private readonly follow: Follow,
  ) {
    super(inner);
  }
  /** The controller the inner handler gets: `controller` with its `abort` watched (one wrapper per controller). */
  private watched(controller: unknown): unknown {
    if (controller === this.seen) return this.controller;
    if (typeof (controller as Controller | null | undefined)?.abort !== 'function') return controller;
    this.seen = controller as Controller;
    return (this.controller = watched(controller as Controller, this.follow));
  }
  protected override pass(name: string, args: unknown[]): unknown {
    args[0] = this.watched(args[0]);
    return super.pass(name, args);
  }
  override onResponseData(controller: unknown, chunk: unknown): unknown {
    return this.inner['onResponseData']?.call(this.inner, this.watched(controller), chunk);
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
 * (connection refused or reset, a timeout: failures), or the caller aborting, whatever the
 * reason it gives (the status if it had come, else abandoned), unless the reason is a
 * `TimeoutError` (`AbortSignal.timeout()`: a failure). The handler's `abort` (legacy) or
 * controller (newer shape) is wrapped to tell the caller's abort from the callee's error. A body
 * the caller cancels ends the call through undici's error.
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
