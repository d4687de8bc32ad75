import type { IncomingMessage, ServerResponse } from 'node:http';

/** The part of prom-client's `Registry` a handler uses. */
export interface ScrapeSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/**
 * A `/metrics` handler for Express or plain `node:http` (`(req, res)`): the registry's text.
 *
 * @example
 * ```js
 * app.get('/metrics', metricsHandler(registry));
 * ```
 */
export function metricsHandler(registry: ScrapeSource): (req: IncomingMessage, res: ServerResponse) => void {
  return (_req, res) => {
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(text);
      },
      (error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`metrics failed: ${String(error)}\n`);
      },
    );
  };
}

/** The part of Koa's context the Koa handler sets. */
export interface KoaMetricsContext {
  type: string;
  body: unknown;
}

/**
 * A `/metrics` handler for Koa: mount it on your router (`router.get('/metrics', koaMetricsHandler(registry))`)
 * or behind a path check.
 *
 * @example
 * ```js
 * app.use(async (ctx, next) => (ctx.path === '/metrics' ? koaMetricsHandler(registry)(ctx) : next()));
 * ```
 */
export function koaMetricsHandler(registry: ScrapeSource): (ctx: KoaMetricsContext) => Promise<void> {
  return async (ctx) => {
    ctx.body = await registry.metrics();
    ctx.type = registry.contentType;
  };
}

/** The part of Fastify's reply the Fastify handler uses. */
export interface FastifyMetricsReply {
  type(contentType: string): unknown;
}

/**
 * A `/metrics` route handler for Fastify.
 *
 * @example
 * ```js
 * app.get('/metrics', fastifyMetricsHandler(registry));
 * ```
 */
export function fastifyMetricsHandler(registry: ScrapeSource): (request: unknown, reply: FastifyMetricsReply) => Promise<string> {
  return async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  };
}
