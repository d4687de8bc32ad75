// How an adapter hears an admitted request's response end without a listener on the response.
// `res.on('close', …)` (`exitWhenResponseCloses`) is an `EventEmitter.on` with its loads and a
// keyed store on the response: ~8 k instructions per request on Express, which gives every
// response its own hidden class, and ~700–800 on Koa and Fastify (docs/benchmarks.md). The
// socket keeps one shape, and Node says on it and on a diagnostics channel all that 'close'
// would:
// - a finished response: Node publishes `http.server.response.finish` for every response of
//   its HTTP server, when the response's 'finish' fires (its 'close' follows on the next tick);
// - an abandoned one: the socket closes first (Node's own 'close' on the response comes from a
//   'close' listener on the socket, in the same emit).
import { subscribe } from 'node:diagnostics_channel';
import { ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { Entry } from './engine.js';
import { exitWhenResponseCloses, finishedGetter as writableFinished } from './response-outcome.js';

/** An admitted response waiting for its end, and the next one on the same socket. */
interface Waiting {
  readonly res: ServerResponse;
  readonly entry: Entry;
  /** `res` has a hidden class of its own (Express): read without inline caches. */
  readonly ownShape: boolean;
  next: Waiting | null;
}

/**
 * On a socket: its waiting responses; `null` once our 'close' listener is on and none waits;
 * `false` once that listener has run (the socket closed).
 */
const WAITING = Symbol('opensergo.waiting');
type HeardSocket = Socket & { [WAITING]?: Waiting | null | false };
interface FinishMessage {
  readonly socket: HeardSocket;
  readonly response: ServerResponse;
}

// On Express's responses an inline cache only misses (~280 instructions); `Reflect.get` is
// one generic look-up (~240). On Koa's and Fastify's, whose responses share a hidden class,
// the cache hits and the look-up alone cost ~460 per request on the combination.
const statusOf = (waiting: Waiting): number => (waiting.ownShape ? (Reflect.get(waiting.res, 'statusCode') as number) : waiting.res.statusCode);
let subscribed = false;

/**
 * Reports the end of `res` to `entry` as `exitWhenResponseCloses` does (`finished` with the
 * status when the response was fully written, `abandoned` when the connection closed first),
 * hearing it on the response's socket. A response that has no live socket of Node's HTTP
 * server (a pipelined response still queued behind another, one already finished or closed,
 * an HTTP/2 response, whose socket is a proxy of its session's, or anything but Node's `http`
 * and `https` servers) is left to `exitWhenResponseCloses`. `ownShape`: `res` has a hidden
 * class of its own (Express's responses), so it is read through `Reflect.get`.
 *
 * @example
 * ```ts
 * import { exitWhenResponseEnds } from '@opensergo/core';
 * // in an adapter, after a pass decision with an entry:
 * // exitWhenResponseEnds(res, decision.entry);
 * ```
 */
export function exitWhenResponseEnds(res: ServerResponse, entry: Entry, ownShape = false): void {
  const socket = (ownShape ? Reflect.get(res, 'socket') : res.socket) as HeardSocket | null;
  // Checked once per socket (the checks cost ~300 instructions on Express's responses): a
  // socket of Node's server carries only its responses, and our 'close' listener marks it closed.
  const waiting = socket == null ? false : socket[WAITING];
  if (waiting === false || (waiting === undefined && !hearOn(socket!, res))) {
    exitWhenResponseCloses(res, entry);
    return;
  }
  socket![WAITING] = { res, entry, ownShape, next: waiting ?? null };
}

/** The first response admitted on `socket`: its ends are heard from now on if it is Node's server's. */
function hearOn(socket: HeardSocket, res: ServerResponse): boolean {
  if (!(res instanceof ServerResponse) || !(socket instanceof Socket) || socket.destroyed || writableFinished === undefined) return false;
  if (!subscribed) {
    // Only once a response waits: until then no response pays for the channel's message.
    subscribe('http.server.response.finish', onFinish);
    subscribed = true;
  }
  socket.on('close', onSocketClose);
  return true;
}

function onFinish(message: unknown): void {
  const { socket, response } = message as FinishMessage;
  let waiting = socket[WAITING];
  if (!waiting) return;
  if (waiting.res === response && waiting.next === null) {
    socket[WAITING] = null;
    waiting.entry.exit({ type: 'finished', statusCode: statusOf(waiting) });
    return;
  }
  // Two engines' entries on one response, or (never on Node's server, which detaches a socket
  // from a response as it finishes) another response's: keep the others.
  let kept: Waiting | null = null;
  const ended: Waiting[] = [];
  for (; waiting !== null; waiting = waiting.next) {
    if (waiting.res === response) ended.push(waiting);
    else kept = { res: waiting.res, entry: waiting.entry, ownShape: waiting.ownShape, next: kept };
  }
  socket[WAITING] = kept;
  for (let i = ended.length - 1; i >= 0; i--) ended[i]!.entry.exit({ type: 'finished', statusCode: statusOf(ended[i]!) });
}

function onSocketClose(this: HeardSocket): void {
  let waiting = this[WAITING];
  this[WAITING] = false;
  const ended: Waiting[] = [];
  for (; waiting; waiting = waiting.next) ended.push(waiting);
  // What the response's own 'close' would report: written out in full before the socket closed
  // (its 'finish' not yet heard), or not.
  for (let i = ended.length - 1; i >= 0; i--) {
    const end = ended[i]!;
    end.entry.exit(writableFinished!.call(end.res) ? { type: 'finished', statusCode: statusOf(end) } : { type: 'abandoned' });
  }
}
