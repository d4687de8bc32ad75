import { Agent, Dispatcher } from 'undici';
import { currentContext } from '@opensergo/core';
import { CallPath } from './call-path.js';
import { failCall, failover } from './failover-handler.js';
import { answerLocally } from './local-response.js';
import { observe } from './outcome-handler.js';
import type { ClientOptions } from './options.js';
import { UndiciCall } from './undici-call.js';

/** Options of `createDispatcher`: the client options, and the undici dispatcher that sends. */
export interface DispatcherOptions extends ClientOptions {
  /** What sends the calls once routed. Default: a new undici `Agent` (closed with this dispatcher). */
  readonly dispatcher?: Dispatcher;
}

/**
 * A refused call's body stream is never read: it is destroyed, as undici destroys the body of a
 * call it cannot send, so that a file stream gives its descriptor back at once.
 */
function discard(body: unknown): void {
  const stream = body as { pipe?: unknown; destroy?: unknown; destroyed?: unknown } | null | undefined;
  if (typeof stream?.pipe === 'function' && typeof stream.destroy === 'function' && stream.destroyed !== true) (stream.destroy as () => void).call(stream);
}

class OpenSergoDispatcher extends Dispatcher {
  constructor(
    private readonly path: CallPath,
    private readonly sender: Dispatcher,
    private readonly ownsSender: boolean,
  ) {
    super();
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const call = new UndiciCall(options, currentContext());
    let pending: void | Promise<void>;
    try {
      pending = this.path.run(call);
    } catch (error) {
      failCall(handler, error as Error);
      return true;
    }
    if (pending === undefined) return this.start(call, handler);
    pending.then(
      () => this.start(call, handler),
      (error: Error) => failCall(handler, error),
    );
    return true;
  }

  /** A refused call is answered here with its fallback; an admitted one is followed to its end. */
  private start(call: UndiciCall, handler: Dispatcher.DispatchHandler): boolean {
    if (call.blocked !== undefined) {
      discard(call.options.body);
      answerLocally(handler, call.blocked.response, call.method);
      return true;
    }
    return this.send(call, call.admission === undefined ? handler : observe(handler, call.admission));
  }

  /** Sends one attempt; outlier detection hears how it ended at its instance (observe, again). */
  private send(call: UndiciCall, handler: Dispatcher.DispatchHandler): boolean {
    const options = call.toSend();
    if (call.endpoint === undefined) return this.sender.dispatch(options, handler);
    const attempt = this.path.attempt(call);
    const heard = attempt === undefined ? handler : observe(handler, attempt);
    // Any body may follow the call to another instance: undici reads a body (fetch's is always a
    // stream) only once the request is written to a connection, and the failover handler moves
    // only calls that never were.
    const retry = async (error: Error): Promise<boolean> => {
      if (!(await this.path.failover(call, error))) return false;
      this.send(call, handler);
      return true;
    };
    return this.sender.dispatch(options, failover(heard, retry));
  }

  override close(callback: () => void): void;
  override close(): Promise<void>;
  override close(callback?: () => void): Promise<void> | void {
    const closing = (async () => {
      await this.path.close();
      if (this.ownsSender) await this.sender.close();
    })();
    if (callback === undefined) return closing;
    void closing.then(callback, callback);
  }

  override destroy(error: Error | null, callback: () => void): void;
  override destroy(callback: () => void): void;
  override destroy(error: Error | null): Promise<void>;
  override destroy(): Promise<void>;
  override destroy(first?: Error | null | (() => void), second?: () => void): Promise<void> | void {
    const error = typeof first === 'function' ? null : (first ?? null);
    const callback = typeof first === 'function' ? first : second;
    const destroying = (async () => {
      await this.path.close();
      if (this.ownsSender) await this.sender.destroy(error);
    })();
    if (callback === undefined) return destroying;
    void destroying.then(callback, callback);
  }
}

/**
 * An undici `Dispatcher` that governs the calls sent through it: it puts the current request's
 * traffic labels on every call (`baggage: OpenSergo-Label=…`, `x-opensergo-traffic`), and sends
 * each call to an instance of its callee chosen by TrafficRouter, else by label routing, over
 * the instances discovery knows, balanced round robin. Use it with `fetch(url, { dispatcher })`,
 * undici's `request`, or `setGlobalDispatcher` (then every `fetch` of the process goes through
 * it). Throws `ERR_OPENSERGO_OPTIONS_INVALID` for malformed options.
 *
 * @example
 * ```js
 * import { createDispatcher } from '@opensergo/client';
 * const dispatcher = createDispatcher({
 *   engine: governance.engine, // the middleware's engine: same rules, same request context
 *   instances: { backend: [{ url: 'http://127.0.0.1:4001' }, { url: 'http://127.0.0.1:4002', labels: ['gray'] }] },
 * });
 * // in a handler: gray requests reach the gray backend, the others the base one
 * const reply = await fetch('http://backend/users/7', { dispatcher });
 * ```
 */
export function createDispatcher(options: DispatcherOptions = {}): Dispatcher {
  const path = new CallPath(options);
  return new OpenSergoDispatcher(path, options.dispatcher ?? new Agent(), options.dispatcher === undefined);
}
