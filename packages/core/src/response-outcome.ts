import { EventEmitter } from 'node:events';
import { OutgoingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Entry } from './engine.js';

/** The part of Node's `http.ServerResponse` the engine needs. */
export interface ResponseLike {
  readonly statusCode: number;
  readonly writableFinished: boolean;
  /** Already closed: the client went away while the request waited (a throttling queue). */
  readonly closed?: boolean;
  /**
   * An HTTP/2 response's stream (`Http2ServerResponse`), which has no `closed`: `destroyed`
   * once it closed, `aborted` when the client reset it. Node reports such a response's
   * `writableFinished` as true even then, once what was written had been flushed.
   */
  readonly stream?: { readonly destroyed: boolean; readonly aborted: boolean };
  on(event: 'close', listener: () => void): unknown;
}

// Node's own accessors, called directly on Node responses. Looking a property up through
// Express's response prototype chain is slow under load (`res.on` ~0.5–1 µs, a getter such
// as `res.closed` ~250 ns, against ~5 ns on a plain response); calling the prototype's
// function skips the look-up. Other ResponseLike objects are read the ordinary way.
const addListener = EventEmitter.prototype.on;
const getter = (name: string): ((this: OutgoingMessage) => boolean) | undefined =>
  Object.getOwnPropertyDescriptor(OutgoingMessage.prototype, name)?.get as ((this: OutgoingMessage) => boolean) | undefined;
const closedGetter = getter('closed');
/** Node's `writableFinished` getter, for `response-end.ts` too. */
export const finishedGetter = getter('writableFinished');

const isClosed = (res: ResponseLike, node: boolean): boolean =>
  node && closedGetter ? closedGetter.call(res as unknown as OutgoingMessage) : res.closed === true || res.stream?.destroyed === true;
const isFinished = (res: ResponseLike, node: boolean): boolean =>
  node && finishedGetter ? finishedGetter.call(res as unknown as OutgoingMessage) : res.writableFinished && res.stream?.aborted !== true;

/**
 * Reports the end of a Node HTTP response to `entry`: `finished` with its status when the
 * response was fully written, `abandoned` when the connection closed first. Node emits
 * `close` on every response, so one listener covers both and the entry exits exactly once
 * (with whatever the adapter reported first, e.g. a handler failure).
 *
 * @example
 * ```ts
 * import { exitWhenResponseCloses } from '@opensergo/core';
 * // in an adapter, after a pass decision with an entry:
 * // exitWhenResponseCloses(res, decision.entry);
 * ```
 */
export function exitWhenResponseCloses(res: ResponseLike, entry: Entry): void {
  const node = res instanceof OutgoingMessage;
  // A 'close' that fired before this call (while the decision waited) would never fire again.
  if (isClosed(res, node)) {
    exitWith(res, entry, node);
    return;
  }
  // A closure, not a shared listener reading the entry from a property of `res`: Express
  // gives `res` its own prototype, and a new property on it cost ~3 µs per request under
  // load (a closure: tens of nanoseconds). `on`, not `once`: `close` fires once per response.
  const listener = (): void => exitWith(res, entry, node);
  if (!node) {
    res.on('close', listener);
    return;
  }
  addListener.call(res as unknown as OutgoingMessage, 'close', listener);
  if ((res as unknown as ServerResponse).socket === null) hearQueued(res as unknown as ServerResponse, listener);
}

/** The listeners of a connection's queued responses (see `hearQueued`), while it is open. */
const queuedOn = new WeakMap<Socket, Set<() => void>>();

/**
 * A pipelined response waiting behind an earlier one on its connection has no socket yet, and
 * when the client goes away Node never emits its 'close' (Node 20: only the response being
 * written hears it): its entry would hold its permits for good. So its end is also heard on
 * the request's connection, one listener per connection whatever the number of responses
 * queued on it; the response's own 'close', when its turn comes, takes it off again.
 */
function hearQueued(res: ServerResponse, listener: () => void): void {
  const connection = res.req?.socket;
  if (connection == null) return;
  if (connection.destroyed) {
    listener();
    return;
  }
  let waiting = queuedOn.get(connection);
  if (waiting === undefined) {
    const listeners = new Set<() => void>();
    waiting = listeners;
    queuedOn.set(connection, listeners);
    connection.once('close', () => {
      queuedOn.delete(connection);
      for (const queued of listeners) queued();
    });
  }
  const queued = waiting;
  queued.add(listener);
  addListener.call(res, 'close', () => queued.delete(listener));
}

function exitWith(res: ResponseLike, entry: Entry, node: boolean): void {
  entry.exit(isFinished(res, node) ? { type: 'finished', statusCode: res.statusCode } : { type: 'abandoned' });
}
