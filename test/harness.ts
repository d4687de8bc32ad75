// One harness, six servers: every conformance case runs against Express 4/5, Koa 2/3 and
// Fastify 4/5 through the real frameworks on loopback, with raw node:http requests so that
// odd path spellings reach the server unchanged.
import { request as httpRequest, createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express4 from 'express4';
import express5 from 'express5';
import Koa2 from 'koa2';
import Koa3 from 'koa3';
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

export interface AdapterUnderTest {
  readonly name: string;
  start(options: OpenSergoOptions, routes: readonly Route[]): Promise<RunningApp>;
}

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

/** A tiny router for the Koa apps (Koa has none built in): `:param` segments, case-insensitive. */
function routePattern(path: string): RegExp {
  const source = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z_]+/g, '[^/]+');
  return new RegExp(`^${source}/?$`, 'i');
}

type ExpressFactory = typeof express5;

function expressAdapter(name: string, express: ExpressFactory): AdapterUnderTest {
  return {
    name,
    async start(options, routes) {
      const app = express();
      app.set('env', 'test'); // no stack traces on stderr for deliberate failures
      const governance = expressOpenSergo(options);
      app.use(governance);
      for (const route of routes) {
        const method = (route.method ?? 'GET').toLowerCase() as 'get' | 'post';
        app[method](route.path, (req, res, next) => {
          respond(route, req.opensergo, req).then(({ status, body }) => {
            res.status(status).type('application/json').send(body);
          }, next);
        });
      }
      app.use(governance.errors);
      const server = createServer(app);
      const port = await listen(server);
      return { port, engine: governance.engine, close: closer(server) };
    },
  };
}

function koaAdapter(name: string, Koa: typeof Koa3): AdapterUnderTest {
  return {
    name,
    async start(options, routes) {
      const app = new Koa();
      app.silent = true;
      const governance = koaOpenSergo(options);
      app.use(governance as unknown as Parameters<typeof app.use>[0]);
      app.use(async (ctx) => {
        const method = ctx.method === 'HEAD' ? 'GET' : ctx.method;
        const route = routes.find((r) => (r.method ?? 'GET') === method && routePattern(r.path).test(ctx.path));
        if (!route) {
          ctx.status = 404;
          return;
        }
        const { status, body } = await respond(route, ctx.state['opensergo'] as RequestContext, ctx.req);
        ctx.status = status;
        ctx.type = 'application/json';
        ctx.body = body;
      });
      const server = createServer(app.callback());
      const port = await listen(server);
      return { port, engine: governance.engine, close: closer(server) };
    },
  };
}

function fastifyAdapter(name: string, Fastify: typeof fastify5): AdapterUnderTest {
  return {
    name,
    async start(options, routes) {
      const app = Fastify({ logger: false });
      await app.register(fastifyOpenSergo, options);
      for (const route of routes) {
        app.route({
          method: route.method ?? 'GET',
          url: route.path,
          handler: async (request, reply) => {
            const { status, body } = await run(route, request.opensergo ?? undefined);
            reply.code(status).type('application/json');
            return body;
          },
        });
      }
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

/** Starts `adapter` and always closes it (and its engine) after `body`. */
export async function withApp(
  adapter: AdapterUnderTest,
  options: OpenSergoOptions,
  routes: readonly Route[],
  body: (app: RunningApp) => Promise<void>,
): Promise<void> {
  const app = await adapter.start({ logger: false, ...options }, routes);
  try {
    await body(app);
  } finally {
    await app.close();
    await app.engine.close();
  }
}
