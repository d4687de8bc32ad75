import { STATUS_CODES } from 'node:http';
import type { Dispatcher } from 'undici';
import type { FallbackResponse } from '@opensergo/core';
import { isModern, type AnyHandler } from './handler-shapes.js';

/**
 * The bytes of `response` a callee would send after its headers: none for a HEAD request (a
 * client would take them for the next response, or fail). Statuses without a body (204, 304)
 * never have one: the rules refuse it.
 *
 * @example
 * ```ts
 * socket.push(bodyFor(call.blocked.response, call.method));
 * ```
 */
export function bodyFor(response: FallbackResponse, method: string): Buffer {
  return method === 'HEAD' ? Buffer.alloc(0) : Buffer.from(response.body);
}

/**
 * Answers an undici dispatch with `response` as if the callee had sent it (a blocked call's
 * fallback): status, headers and body (none for HEAD) go through the caller's handler, in its
 * own shape, on the next microtask, without a connection. An abort in between ends it as an
 * abort would.
 *
 * @example
 * ```ts
 * if (call.blocked) return answerLocally(handler, call.blocked.response, call.method), true;
 * ```
 */
export function answerLocally(handler: Dispatcher.DispatchHandler, response: FallbackResponse, method: string): void {
  const inner = handler as unknown as AnyHandler;
  const body = bodyFor(response, method);
  const statusText = STATUS_CODES[response.statusCode] ?? '';
  let aborted: unknown;
  const abort = (reason?: unknown): void => {
    aborted ??= reason ?? Object.assign(new Error('The call was aborted'), { name: 'AbortError' });
  };
  queueMicrotask(() => {
    if (isModern(handler)) {
      const controller = { abort, pause() {}, resume() {}, paused: false, get aborted() { return aborted !== undefined; }, get reason() { return aborted ?? null; } };
      inner['onRequestStart']?.(controller, {});
      if (aborted !== undefined) return void inner['onResponseError']?.(controller, aborted);
      inner['onResponseStart']?.(controller, response.statusCode, { ...response.headers }, statusText);
      if (aborted === undefined && body.length > 0) inner['onResponseData']?.(controller, body);
      if (aborted !== undefined) return void inner['onResponseError']?.(controller, aborted);
      inner['onResponseEnd']?.(controller, {});
      return;
    }
    inner['onConnect']?.(abort, {});
    if (aborted !== undefined) return void inner['onError']?.(aborted);
    const raw: Buffer[] = [];
    for (const [name, value] of Object.entries(response.headers)) raw.push(Buffer.from(name, 'latin1'), Buffer.from(value, 'latin1'));
    inner['onHeaders']?.(response.statusCode, raw, () => {}, statusText);
    if (aborted === undefined && body.length > 0) inner['onData']?.(body);
    if (aborted !== undefined) return void inner['onError']?.(aborted);
    inner['onComplete']?.([]);
  });
}
