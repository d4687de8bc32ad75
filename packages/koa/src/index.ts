// Koa adapter. Uses from core only: createEngine, requestView, exitWhenResponseCloses,
// and the types Decision, Engine, OpenSergoOptions, RequestContext.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createEngine,
  exitWhenResponseCloses,
  requestView,
  type Decision,
  type Engine,
  type OpenSergoOptions,
  type RequestContext,
} from '@opensergo/core';

/** The part of Koa's context this adapter touches (works with Koa 2 and 3). */
export interface KoaContext {
  readonly method: string;
  readonly originalUrl: string;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  state: Record<string, unknown>;
  status: number;
  body: unknown;
  set(headers: Record<string, string>): void;
}

/** The middleware, with its engine. */
export interface OpenSergoMiddleware {
  (ctx: KoaContext, next: () => Promise<unknown>): Promise<unknown>;
  /** The engine deciding for this middleware (for `status()`, events and `close()`). */
  readonly engine: Engine;
}

function apply(decision: Decision, ctx: KoaContext, next: () => Promise<unknown>): Promise<unknown> {
  ctx.state['opensergo'] = decision.context;
  if (decision.type === 'block') {
    const { statusCode, headers, body } = decision.response;
    ctx.status = statusCode;
    ctx.set(headers);
    ctx.body = body;
    return Promise.resolve();
  }
  const entry = decision.entry;
  if (!entry) return next();
  exitWhenResponseCloses(ctx.res, entry);
  return next().catch((error: unknown) => {
    entry.exit({ type: 'failed', error });
    throw error;
  });
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
  const middleware = (ctx: KoaContext, next: () => Promise<unknown>): Promise<unknown> => {
    const decision = engine.enter(requestView(ctx.method, ctx.originalUrl, ctx.req.headers));
    if (decision instanceof Promise) return decision.then((d) => apply(d, ctx, next));
    return apply(decision, ctx, next);
  };
  return Object.assign(middleware, { engine });
}

export type { OpenSergoOptions, RequestContext } from '@opensergo/core';
