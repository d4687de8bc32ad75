import { EventEmitter } from 'node:events';
import type { Entry } from './engine.js';

const addListener = EventEmitter.prototype.on;

/** The part of Node's `http.ServerResponse` the engine needs. */
export interface ResponseLike {
  readonly statusCode: number;
  readonly writableFinished: boolean;
  /** Already closed: the client went away while the request waited (a throttling queue). */
  readonly closed?: boolean;
  on(event: 'close', listener: () => void): unknown;
}

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
  // A 'close' that fired before this call (while the decision waited) would never fire again.
  if (res.closed === true) {
    exitWith(res, entry);
    return;
  }
  // A closure, not a shared listener reading the entry from a property of `res`: Express
  // gives `res` its own prototype, and a new property on it cost ~3 µs per request under
  // load (a closure: tens of nanoseconds). `on`, not `once`: `close` fires once per response.
  // EventEmitter's own `on`, called directly: looking `res.on` up through Express's response
  // prototype chain cost ~1 µs per request under load (benchmarks/slot.js, combo).
  const listener = (): void => exitWith(res, entry);
  if (res instanceof EventEmitter) addListener.call(res, 'close', listener);
  else res.on('close', listener);
}

function exitWith(res: ResponseLike, entry: Entry): void {
  entry.exit(res.writableFinished ? { type: 'finished', statusCode: res.statusCode } : { type: 'abandoned' });
}
