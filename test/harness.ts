// One harness, six servers: every conformance case runs against Express 4/5, Koa 2/3 and
// Fastify 4/5 through the real frameworks on loopback, with raw node:http requests so that
// odd path spellings reach the server unchanged.
import { request as httpRequest, createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express4 from 'express4';
import express5 from 'express5';
import Koa2 from 'koa2';
import Koa3 from 'koa3';
import KoaRouter from '@koa/router';
import mount from 'koa-mount';
import fastify4 from 'fastify4';
import fastify5 from 'fastify5';
import type { Engine, OpenSergoOptions, RequestContext } from '@opensergo/core';
import { opensergo as expressOpenSergo } from '@opensergo/express';
import { opensergo as koaOpenSergo } from '@opensergo/koa';
import { opensergo as fastifyOpenSergo } from '@opensergo/fastify';

/** What a route handler does, whatever the framework. */
export interface Behaviour {
  status?: number;
  delayMs?: number;
  throws?: boolean;
  /** Answered as JSON instead of the echoed context. */
  body?: unknown;
}

export interface Route {
  method?: 'GET' | 'POST';
  path: string;
  /** Default: answer 200 with the request's opensergo context as JSON. */
  behaviour?: (context: RequestContext | undefined) => Behaviour | Promise<Behaviour>;
  /**
   * Read the request body first, as callback-style body parsers do, and call `behaviour` from
   * the body's `end` listener (Fastify parses the body itself before the handler).
   */
  readsBody?: boolean;
}

export interface RunningApp {
  readonly port: number;
  /** The engine, when the adapter exposes it. */
  readonly engine: Engine;
  /** Resolves when the server has closed. */
  close(): Promise<void>;
}

/**
 * The framework's own routing settings (each framework takes those it has) and where the routes
 * live. Route paths are written Express 4's way (`/api/*` for the rest); each adapter spells them
 * as its router wants.
 */
export interface RouterOptions {
  /** Express `case sensitive routing`, @koa/router `sensitive`, Fastify `caseSensitive`. */
  caseSensitive?: boolean;
  /** Express `strict routing`, @koa/router `strict`. */
  strict?: boolean;
  /** Fastify's options of these names. */
  ignoreTrailingSlash?: boolean;
  ignoreDuplicateSlashes?: boolean;
  useSemicolonDelimiter?: boolean;
  /**
   * Routes and the governance middleware on a router mounted at this prefix (Express
   * `app.use(prefix, router)`, Koa `koa-mount` of a sub-app); Fastify: a plugin with this prefix.
   */
  mount?: string;
  /**
   * The same governance mounted a second time, where the routes are: Express and @koa/router
   * `router.use(governance)` besides the app's, Fastify the plugin registered again with the
   * same engine in the routes' plugin.
   */
  twice?: boolean;
  /**
   * A rewrite of the URL before the governance middleware: Express `req.url = …`, Koa
   * `ctx.url = …` (what koa-rewrite does), Fastify's `rewriteUrl`.
   */
  rewrite?: (url: string) => string;
}

export interface AdapterUnderTest {
  readonly name: string;
  start(options: OpenSergoOptions, routes: readonly Route[], router?: RouterOptions): Promise<RunningApp>;
}

/** Every handler names its route in this response header (HEAD responses have no body). */
export const ROUTE_HEADER = 'x-route';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function run(route: Route, context: RequestContext | undefined): Promise<{ status: number; body: string }> {
  const b = (await route.behaviour?.(context)) ?? {};
  if (b.delayMs) await sleep(b.delayMs);
  if (b.throws) throw new Error('handler failed');
  return { status: b.status ?? 200, body: JSON.stringify(b.body !== undefined ? b.body : { opensergo: context ?? null }) };
}

/** `run`, after reading the body with `data`/`end` listeners when the route asks for it. */
function respond(route: Route, context: RequestContext | undefined, req: IncomingMessage): Promise<{ status: number; body: string }> {
  if (!route.readsBody) return run(route, context);
  return new Promise((resolve, reject) => {
    req.on('data', () => {});
    req.on('end', () => run(route, context).then(resolve, reject));
    req.on('error', reject);
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}

/** A route path for path-to-regexp 8 (Express 5, @koa/router): a final `*` needs a name there. */
const namedRest = (path: string): string => path.replace(/\/\*$/, '/*rest');

type ExpressFactory = typeof express5;

function expressAdapter(name: string, express: ExpressFactory): AdapterUnderTest {
  return {
    name,
    async start(options, routes, router = {}) {
      const app = express();
      app.set('env', 'test'); // no stack traces on stderr for deliberate failures
      if (router.caseSensitive !== undefined) app.set('case sensitive routing', router.caseSensitive);
      if (router.strict !== undefined) app.set('strict routing', router.strict);
      const governance = expressOpenSergo(options);
      const separate = router.mount !== undefined || router.twice === true;
      const mounted = separate ? express.Router({ caseSensitive: router.caseSensitive ?? false, strict: router.strict ?? false }) : app;
      const rewrite = router.rewrite;
      if (rewrite) {
        app.use((req, _res, next) => {
          req.url = rewrite(req.url);
          next();
        });
      }
      if (router.twice) app.use(governance);
      mounted.use(governance);
      for (const route of routes) {
        const method = (route.method ?? 'GET').toLowerCase() as 'get' | 'post';
        mounted[method](express === express5 ? namedRest(route.path) : route.path, (req, res, next) => {
          respond(route, req.opensergo, req).then(({ status, body }) => {
            res.status(status).type('application/json').set(ROUTE_HEADER, route.path).send(body);
          }, next);
        });
      }
      if (separate) app.use(router.mount ?? '/', mounted);
      mounted.use(governance.errors);
      const server = createServer(app);
      const port = await listen(server);
      return { port, engine: governance.engine, close: closer(server) };
    },
  };
}

function koaAdapter(name: string, Koa: typeof Koa3): AdapterUnderTest {
  return {
    name,
    async start(options, routes, router = {}) {
      const app = new Koa();
      app.silent = true;
      const governed = router.mount ? new Koa() : app;
      const rewrite = router.rewrite;
      if (rewrite) {
        app.use((ctx, next) => {
          ctx.url = rewrite(ctx.url);
          return next();
        });
      }
      const governance = koaOpenSergo(options);
      governed.use(governance as unknown as Parameters<typeof app.use>[0]);
      const routed = new KoaRouter({ sensitive: router.caseSensitive ?? false, strict: router.strict ?? false });
      if (router.twice) routed.use(governance as unknown as Parameters<typeof routed.use>[0]);
      for (const route of routes) {
        const method = (route.method ?? 'GET').toLowerCase() as 'get' | 'post';
        routed[method](namedRest(route.path), async (ctx) => {
          const { status, body } = await respond(route, ctx.state['opensergo'] as RequestContext, ctx.req);
          ctx.status = status;
          ctx.type = 'application/json';
          ctx.set(ROUTE_HEADER, route.path);
          ctx.body = body;
        });
      }
      governed.use(routed.routes() as unknown as Parameters<typeof app.use>[0]);
      if (router.mount) app.use(mount(router.mount, governed as unknown as Parameters<typeof mount>[1]));
      const server = createServer(app.callback());
      const port = await listen(server);
      return { port, engine: governance.engine, close: closer(server) };
    },
  };
}

function fastifyAdapter(name: string, Fastify: typeof fastify5): AdapterUnderTest {
  return {
    name,
    async start(options, routes, router = {}) {
      const { mount: prefix, strict: _strict, twice, rewrite, ...settings } = router;
      // Fastify 5 takes router settings under `routerOptions` (at the top level they are deprecated).
      const app = Fastify({
        logger: false,
        ...(Fastify === fastify5 ? { routerOptions: settings } : settings),
        ...(rewrite ? { rewriteUrl: (req: IncomingMessage) => rewrite(req.url ?? '/') } : {}),
      });
      await app.register(fastifyOpenSergo, options);
      const register = (instance: typeof app): void => {
        for (const route of routes) {
          instance.route({
            method: route.method ?? 'GET',
            url: route.path,
            handler: async (request, reply) => {
              const { status, body } = await run(route, request.opensergo ?? undefined);
              reply.code(status).type('application/json').header(ROUTE_HEADER, route.path);
              return body;
            },
          });
        }
      };
      if (prefix || twice) {
        await app.register(
          async (child) => {
            if (twice) await child.register(fastifyOpenSergo, { engine: app.opensergoEngine });
            register(child as typeof app);
          },
          prefix ? { prefix } : {},
        );
      } else register(app);
      await app.listen({ port: 0, host: '127.0.0.1' });
      const port = (app.server.address() as AddressInfo).port;
      return {
        port,
        engine: app.opensergoEngine,
        close: async () => {
          app.server.closeAllConnections();
          await app.close();
        },
      };
    },
  };
}

export const ADAPTERS: readonly AdapterUnderTest[] = [
  expressAdapter('express4', express4 as unknown as ExpressFactory),
  expressAdapter('express5', express5),
  koaAdapter('koa2', Koa2 as unknown as typeof Koa3),
  koaAdapter('koa3', Koa3),
  fastifyAdapter('fastify4', fastify4 as unknown as typeof fastify5),
  fastifyAdapter('fastify5', fastify5),
];

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Names and values as sent, alternating (what `headers` cannot hold, such as `__proto__`). */
  rawHeaders: string[];
  body: string;
}

/** One raw HTTP request; `path` is sent exactly as given. */
export function send(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; abortAfterMs?: number; body?: string; localAddress?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const { localAddress } = options;
    const target = { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false, ...(localAddress ? { localAddress } : {}) };
    const req = httpRequest(target, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body }));
    });
    req.on('error', reject);
    if (options.abortAfterMs !== undefined) {
      setTimeout(() => {
        req.destroy();
        resolve({ status: 0, headers: {}, rawHeaders: [], body: '' });
      }, options.abortAfterMs);
    }
    req.end(options.body);
  });
}

/** Serves a plain `node:http` handler on loopback for `body`, and always closes it. */
export async function serve(handler: Parameters<typeof createServer>[1], body: (port: number) => Promise<void>): Promise<void> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await body((server.address() as AddressInfo).port);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** The opensergo context a default handler echoed back. */
export function echoed(reply: Reply): RequestContext | null {
  return (JSON.parse(reply.body) as { opensergo: RequestContext | null }).opensergo;
}

/** Starts `adapter` (with `router` settings) and always closes it (and its engine) after `body`. */
export async function withApp(
  adapter: AdapterUnderTest,
  options: OpenSergoOptions,
  routes: readonly Route[],
  body: (app: RunningApp) => Promise<void>,
  router?: RouterOptions,
): Promise<void> {
  const app = await adapter.start({ logger: false, ...options }, routes, router);
  try {
    await body(app);
  } finally {
    await app.close();
    await app.engine.close();
  }
}
