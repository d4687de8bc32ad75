import type { Entry } from './engine.js';

/** The part of Node's `http.ServerResponse` the engine needs. */
export interface ResponseLike {
  readonly statusCode: number;
  readonly writableFinished: boolean;
  /** Already closed: the client went away while the request waited (a throttling queue). */
  readonly closed?: boolean;
  on(event: 'close', listener: (this: never) => void): unknown;
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
  // One shared listener, and `on` rather than `once`: `close` fires once per response, and
  // `once` would allocate a wrapper for every request.
  (res as ResponseLike & { [ENTRY]?: Entry })[ENTRY] = entry;
  res.on('close', onClose);
}

const ENTRY = Symbol('opensergo.entry');

function onClose(this: ResponseLike & { [ENTRY]?: Entry }): void {
  const entry = this[ENTRY];
  if (entry) exitWith(this, entry);
}

function exitWith(res: ResponseLike, entry: Entry): void {
  entry.exit(res.writableFinished ? { type: 'finished', statusCode: res.statusCode } : { type: 'abandoned' });
}
