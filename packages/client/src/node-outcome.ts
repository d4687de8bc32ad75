import { STATUS_CODES, type ClientRequest, type IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import type { Entry, FallbackResponse } from '@opensergo/core';
import { bodyFor } from './local-response.js';
import { endedWith, finished } from './outcome.js';

/**
 * Tells `admission` how a node:http call ended, exactly once: the response's end (with its
 * status), the response abandoned or the request aborted (the status if it had come, else
 * abandoned; whatever the signal's reason, unless it is a `TimeoutError`, which node:http puts
 * in the AbortError's `cause`: a failure), or an error (connection refused or reset, before the
 * response or during its body, a timeout that destroyed the request: failures). `admission` is the call's, or one attempt's for outlier
 * detection (CallPath.attempt). A request error that only these listeners hear is thrown on,
 * as Node throws an `error` event nobody listens to.
 *
 * @example
 * ```ts
 * if (call.admission) followCall(request, call.admission);
 * ```
 */
export function followCall(request: ClientRequest, admission: Entry): void {
  let status: number | undefined;
  let response: IncomingMessage | undefined;
  // A response closed before its end: the caller dropped it (an abort), or the connection was
  // cut, which node:http reports as the request's 'close' before the response's 'error'.
  const closed = (): void => admission.exit(endedWith(status, cutOff(response) ?? ABORTED));
  request.once('response', (res: IncomingMessage) => {
    response = res;
    status = res.statusCode;
    res.once('end', () => admission.exit(finished(status ?? 200)));
    res.once('error', (error) => admission.exit(endedWith(status, error)));
    res.once('close', closed);
  });
  request.once('error', (error) => {
    admission.exit(endedWith(status, error));
    // Listening must not swallow it: a request nobody else listens to throws its error, as it
    // would have without us. (A response's error is emitted only to listeners; it needs nothing.)
    if (request.listenerCount('error') === 0) throw error;
  });
  request.once('close', closed);
}

const ABORTED = { name: 'AbortError' };

/**
 * The error of a response whose connection closed before its end (node:http destroys it with
 * `ECONNRESET` "aborted"); `undefined` for one the caller destroyed, or a pipeline destroyed
 * with its own error.
 */
function cutOff(response: IncomingMessage | undefined): Error | undefined {
  const error = response?.errored ?? undefined;
  return (error as { code?: unknown } | undefined)?.code === 'ECONNRESET' ? error : undefined;
}

/**
 * A stand-in socket that answers one request with `response`, as the callee would have, and
 * closes: what a node:http request refused by a rule is given instead of a connection (no body
 * for a HEAD request, as from a callee). What the request writes is discarded.
 *
 * @example
 * ```ts
 * request.onSocket(answeringSocket(call.blocked.response, call.method));
 * ```
 */
export function answeringSocket(response: FallbackResponse, method: string): Duplex {
  const head = [`HTTP/1.1 ${response.statusCode} ${STATUS_CODES[response.statusCode] ?? ''}`];
  for (const [name, value] of Object.entries(response.headers)) if (name !== 'connection') head.push(`${name}: ${value}`);
  head.push('connection: close', '', '');
  const socket = new Duplex({
    read() {},
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
  const self = (): Duplex => socket;
  // What node:http asks of a net.Socket beyond the stream.
  Object.assign(socket, { setTimeout: self, setNoDelay: self, setKeepAlive: self, ref: self, unref: self, remoteAddress: undefined, encrypted: false });
  socket.push(Buffer.concat([Buffer.from(head.join('\r\n'), 'latin1'), bodyFor(response, method)]));
  socket.push(null);
  return socket;
}
