import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine } from '@opensergo/core';
import { dashboard, type DashboardOptions } from './dashboard.js';

/** The part of Koa's context used here. */
export interface KoaDashboardContext {
  readonly originalUrl: string;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  respond?: boolean;
}

/**
 * The dashboard as Koa middleware: answers its own paths, passes everything else on.
 *
 * @example
 * ```js
 * app.use(koaDashboard(governance.engine, { path: '/opensergo' }));
 * ```
 */
export function koaDashboard(engine: Engine, options: DashboardOptions = {}): (ctx: KoaDashboardContext, next: () => Promise<unknown>) => Promise<unknown> {
  const handler = dashboard(engine, options);
  return (ctx, next) => {
    if (!handler.matches(ctx.originalUrl)) return next();
    ctx.respond = false; // the handler writes the raw response (the event stream stays open)
    handler(ctx.req, ctx.res);
    return Promise.resolve();
  };
}

/** The part of a Fastify instance used here. */
export interface FastifyDashboardHost {
  get(path: string, handler: (request: { readonly raw: IncomingMessage }, reply: { readonly raw: ServerResponse; hijack(): void }) => void): unknown;
  addHook(name: 'onClose', hook: (instance: unknown, done: () => void) => void): unknown;
}

/**
 * Mounts the dashboard on a Fastify instance (its page and event stream routes).
 *
 * @example
 * ```js
 * fastifyDashboard(app, app.opensergoEngine, { path: '/opensergo' });
 * ```
 */
export function fastifyDashboard(app: FastifyDashboardHost, engine: Engine, options: DashboardOptions = {}): void {
  const handler = dashboard(engine, options);
  const path = options.path ?? '/opensergo';
  const serve = (request: { readonly raw: IncomingMessage }, reply: { readonly raw: ServerResponse; hijack(): void }): void => {
    reply.hijack();
    handler(request.raw, reply.raw);
  };
  app.get(path, serve);
  app.get(`${path.replace(/\/+$/, '')}/events`, serve);
  app.addHook('onClose', (_instance, done) => {
    handler.close();
    done();
  });
}
