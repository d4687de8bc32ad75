import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestContext } from '../engine.js';
import type { HeaderBag } from '../request-view.js';
import { FOREIGN_LABELS } from '../labels/traffic-labels.js';
import { withOpenTelemetryBaggage } from './otel-baggage.js';

/** The governed request being handled, through every `await`, timer and callback below it. */
const storage = new AsyncLocalStorage<RequestContext>();

/**
 * Whether requests are run in their context. Off until something needs it: on Node 20 and 22,
 * AsyncLocalStorage makes every promise of the process cost ~0.1 µs more once it is in use
 * (about 3% of a bare Koa request), a price a service that neither reads the context nor
 * makes governed calls should not pay.
 */
let kept = false;
let warned = false;

/**
 * Keeps each governed request's context from now on, for `currentContext()`. Creating an
 * `@opensergo/client` dispatcher or agent does it, and so does the option `requestContext: true`.
 *
 * @example
 * ```ts
 * import { keepRequestContext } from '@opensergo/core';
 * keepRequestContext(); // at start-up, before the first request
 * ```
 */
export function keepRequestContext(): void {
  kept = true;
}

/**
 * The context of the governed request being handled (its resource and traffic labels), or
 * `undefined` outside one. It is there anywhere below the handler: after `await`s, in timers,
 * in stream callbacks, in the request body's events, without passing it by hand. This is what
 * `@opensergo/client` reads to label and route the calls a handler makes.
 *
 * @example
 * ```ts
 * import { currentContext } from '@opensergo/core';
 * // deep inside a handler of a governed request:
 * const lane = currentContext()?.trafficLabel ?? 'base';
 * ```
 */
export function currentContext(): RequestContext | undefined {
  if (!kept) {
    kept = true;
    if (!warned) {
      warned = true;
      process.emitWarning(
        'currentContext() was called before request contexts were kept: it is undefined for requests that started before ' +
          'now. Pass `requestContext: true` to the middleware (or create the @opensergo/client dispatcher or agent) at start-up.',
        { code: 'OPENSERGO_REQUEST_CONTEXT' },
      );
    }
  }
  return storage.getStore();
}

/** @internal The current context without turning contexts on: for the engine's own reads. */
export function peekContext(): RequestContext | undefined {
  return kept ? storage.getStore() : undefined;
}

/**
 * Runs `fn` with `context` as the current context (and returns what it returns): for a job
 * outside any request that should call others as a given request would, and for tests.
 *
 * @example
 * ```ts
 * import { currentContext, runInContext } from '@opensergo/core';
 * runInContext({ resource: 'nightly-job', trafficLabel: 'gray', trafficLabels: ['gray'] }, () => {
 *   currentContext()?.trafficLabel; // 'gray'
 * });
 * ```
 */
export function runInContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The part of a Node request the adapters hand over: its headers and its events. */
export interface RequestEmitter {
  readonly headers: HeaderBag;
  emit(event: string | symbol, ...args: unknown[]): boolean;
}

/**
 * What an adapter calls to run the rest of a governed request (`next`, `done`) in its context
 * (once contexts are kept, see {@link keepRequestContext}; until then it just calls `fn`, in
 * OpenTelemetry baggage when labelled).
 * Code that runs later from the request body's own events (a body parser that calls `next`
 * from its `end` listener, Fastify's body parsing) runs outside any context, since Node emits
 * those events from the connection's: so a request with a body has its events emitted in the
 * context too (one own property on that request; requests without a body pay nothing). When
 * the request has traffic labels and `@opentelemetry/api` is installed, they are also put
 * into OpenTelemetry baggage, so OpenTelemetry-instrumented clients carry them; when it has
 * none, an `OpenSergo-Label` member extracted from its own `baggage` header is taken out.
 *
 * @example
 * ```ts
 * import { runRequest } from '@opensergo/core';
 * // in an adapter, after a pass decision:
 * // runRequest(decision.context, req, next);
 * ```
 */
export function runRequest<T>(context: RequestContext, request: RequestEmitter, fn: () => T): T {
  // The common case first, in a function with no closures: V8 allocates the captured variables
  // of a function's closures on every call, taken or not, and a small function is inlined into
  // the adapter's hook.
  // A request without labels whose baggage had an OpenSergo-Label member not its own (untrusted,
  // or dropped) may find it in OpenTelemetry's context (its http instrumentation extracts the
  // header): the labeler said so (FOREIGN_LABELS), and that member goes.
  if (!kept && context.trafficLabels.length === 0 && context.trafficLabels !== FOREIGN_LABELS) return fn();
  return runLabelledOrKept(context, request, fn);
}

function runLabelledOrKept<T>(context: RequestContext, request: RequestEmitter, fn: () => T): T {
  const labelled = context.trafficLabels.length !== 0;
  if (!kept) return withOpenTelemetryBaggage(context.trafficLabels, fn);
  const headers = request.headers;
  if (headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0')) {
    const emit = request.emit;
    request.emit = (...args: [string | symbol, ...unknown[]]): boolean => storage.run(context, () => emit.apply(request, args));
  }
  if (labelled || context.trafficLabels === FOREIGN_LABELS) return withOpenTelemetryBaggage(context.trafficLabels, () => storage.run(context, fn));
  return storage.run(context, fn);
}
