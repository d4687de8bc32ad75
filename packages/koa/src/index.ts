// Koa adapter. Uses from core only: createEngine, requestView, joinMount, exitWhenResponseEnds,
// answerWriteFailure, runRequest, fieldsBesideLength, and the types Decision, Engine, Entry, OpenSergoOptions, RequestContext.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  answerWriteFailure,
  createEngine,
  exitWhenResponseEnds,
  fieldsBesideLength,
  joinMount,
  requestView,
  runRequest,
  type Decision,
  type Engine,
  type Entry,
  type OpenSergoOptions,
  type RequestContext,
} from '@opensergo/core';

/** The part of Koa's context this adapter touches (works with Koa 2 and 3). */
export interface KoaContext {
  readonly method: string;
  /** The URL as it arrived. */
  readonly originalUrl: string;
  /** The URL routers read: `originalUrl`, unless a middleware rewrote it or koa-mount took a prefix off. */
  readonly url: string;
  /** Set by koa-mount: the prefix it took off `url`. */
  readonly mountPath?: string;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The client's address, by the app's proxy settings (`app.proxy`, `proxyIpHeader`, `maxIpsCount`). */
  readonly ip: string;
  /** The app: its `proxy` setting says whether `ip` comes from a forwarding header. */
  readonly app: { readonly proxy?: boolean };
  /** Any state type: `new Koa<MyState>()` apps take the middleware too. */
  state: object;
  status: number;
  body: unknown;
  /** `false`: Koa leaves the response alone (it was answered here). */
  respond?: boolean;
  set(headers: Record<string, string>): void;
}

/**
 * What the middleware adds to `ctx.state`. Koa's default state is `any`; an app that types
 * its state can add this, and handlers then read `ctx.state.opensergo` as present.
 *
 * @example
 * ```ts
 * import Koa from 'koa';
 * import { opensergo, type OpenSergoState } from '@opensergo/koa';
 * const app = new Koa<OpenSergoState & { user?: string }>();
 * app.use(opensergo({ rulesFile: './opensergo.yaml' }));
 * app.use((ctx) => { ctx.body = ctx.state.opensergo.trafficLabel ?? 'base'; });
 * ```
 */
export interface OpenSergoState {
  /** Set by `@opensergo/koa` on every request that went through its middleware. */
  opensergo: RequestContext;
}

/** The middleware, with its engine. */
export interface OpenSergoMiddleware {
  (ctx: KoaContext, next: () => Promise<unknown>): Promise<unknown>;
  /** The engine deciding for this middleware (for `status()`, events and `close()`). */
  readonly engine: Engine;
}

function apply(decision: Decision, ctx: KoaContext, next: () => Promise<unknown>, engine: Engine): Promise<unknown> {
  (ctx.state as OpenSergoState).opensergo = decision.context;
  if (decision.type === 'block') {
    const { statusCode, body } = decision.response;
    const fields = fieldsBesideLength(decision.response);
    try {
      ctx.status = statusCode;
      // Straight to Node's response, as Koa's `ctx.set` does after copying the object into
      // entries (Object.entries, map, forEach: ~1 k instructions for three headers); and
      // without `content-length`, which Koa sets from the body (callgrind, docs/benchmarks.md).
      const res = ctx.res;
      for (let i = 0; i < fields.length; i += 2) res.setHeader(fields[i]!, fields[i + 1]!);
      ctx.body = body;
    } catch (error) {
      ctx.respond = false;
      answerWriteFailure(ctx.res, decision.rule, error, engine.logger);
    }
    return Promise.resolve();
  }
  if (decision.headers) ctx.set(decision.headers);
  const entry = decision.entry;
  if (!entry) return runRequest(decision.context, ctx.req, next);
  exitWhenResponseEnds(ctx.res, entry);
  return followed(runRequest(decision.context, ctx.req, next), entry);
}

/**
 * Koa's own handlers wait on `downstream` itself and hear its rejection; this reaction,
 * registered first, reports the failure before them. A `.catch` that threw the error on
 * again put one more promise between Koa and the downstream (one more resolution per request).
 * A function of its own: V8 allocates what a function's closures capture on every call of
 * it, so the closure in `apply` cost every request, with an entry or not.
 */
function followed(downstream: Promise<unknown>, entry: Entry): Promise<unknown> {
  downstream.then(undefined, (error: unknown) => entry.exit({ type: 'failed', error }));
  return downstream;
}

/** Applies a decision that had to wait (throttling, a remote store), out of the hook for the same reason. */
function applyLater(pending: Promise<Decision>, ctx: KoaContext, next: () => Promise<unknown>, engine: Engine): Promise<unknown> {
  return pending.then((d) => apply(d, ctx, next, engine));
}

/**
 * The URL the app's routers read: `ctx.url`, which a rewrite before this middleware changes
 * (`ctx.url = …`, koa-rewrite); under koa-mount, with the prefixes it took off put back.
 */
function routedUrl(ctx: KoaContext, url: string): string {
  const mountPath = ctx.mountPath;
  if (mountPath === undefined) return url;
  // Nested mounts leave only the innermost prefix in `mountPath`: when nothing was rewritten,
  // `originalUrl` still holds every prefix.
  const original = ctx.originalUrl;
  return original.endsWith(url) ? original : joinMount(mountPath, url);
}

/**
 * OpenSergo governance for Koa 2 and 3. Throws `ERR_OPENSERGO_RULES_INVALID` at creation when
 * the rules are wrong, so the app never starts half-configured.
 *
 * @example
 * ```js
 * import Koa from 'koa';
 * import { opensergo } from '@opensergo/koa';
 * const app = new Koa();
 * app.use(opensergo({ rulesFile: './opensergo.yaml' }));
 * app.use((ctx) => { ctx.body = `label: ${ctx.state.opensergo.trafficLabel}`; });
 * ```
 */
export function opensergo(options: OpenSergoOptions = {}): OpenSergoMiddleware {
  const engine = createEngine(options);
  const passed = engine.passedMark;
  // Koa has no router of its own, and a router's settings are out of reach: paths are read as
  // @koa/router reads them by default (case ignored, one trailing `/` ignored).
  const settings = { caseSensitive: false, ignoreTrailingSlash: true, ignoreDuplicateSlashes: false, semicolonDelimiter: false, emptyParams: false };
  const routing = engine.followRouter(settings, 'Koa', '@koa/router ignores case unless made with `sensitive: true`');
  const middleware = (ctx: KoaContext, next: () => Promise<unknown>): Promise<unknown> => {
    const marked = ctx as unknown as Record<symbol, boolean>;
    if (marked[passed] === true) return next();
    marked[passed] = true;
    // Behind `app.proxy`, per-client limits count the client `ctx.ip` names (unless `trustProxy` is given).
    const ipSource = ctx.app.proxy === true ? ctx : undefined;
    // `ctx.method` and `ctx.url` are Koa's delegating getters (`this.request.method`, then
    // `this.req.method`): megamorphic keyed loads, ~170 instructions each (callgrind). The
    // request's own fields are what they return.
    const req = ctx.req;
    const decision = engine.enter(requestView(req.method!, routedUrl(ctx, req.url!), req.headers, req.socket, undefined, routing, ipSource));
    if (decision instanceof Promise) return applyLater(decision, ctx, next, engine);
    return apply(decision, ctx, next, engine);
  };
  return Object.assign(middleware, { engine });
}

export type { OpenSergoOptions, RequestContext } from '@opensergo/core';
