// Express adapter. Uses from core only: createEngine, requestView, joinMount, exitWhenResponseEnds,
// answerWriteFailure, runRequest, and the types Decision, Engine, Entry,
// OpenSergoOptions, PathRouting, RequestContext.
import { IncomingMessage, type ServerResponse } from 'node:http';
import {
  answerWriteFailure,
  createEngine,
  exitWhenResponseEnds,
  joinMount,
  requestView,
  runRequest,
  type Decision,
  type Engine,
  type Entry,
  type OpenSergoOptions,
  type PathRouting,
  type RequestContext,
} from '@opensergo/core';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /**
       * Set by `@opensergo/express` on every request that went through its middleware: the
       * request's resource and traffic labels. Typed as present because handlers run after
       * the middleware; on a request it never saw (a route mounted before it) it is `undefined`.
       */
      opensergo: RequestContext;
    }
  }
}

/** An Express app's settings, as `req.app` gives them. */
interface App {
  enabled(setting: string): boolean;
  /** The compiled `trust proxy` setting is `settings['trust proxy fn']`. */
  settings?: Record<string, unknown>;
}
type ProxyTrust = (address: string, hop: number) => boolean;
type Request = IncomingMessage & { baseUrl?: string; app?: App; opensergo?: RequestContext; res?: Response };
/** Express gives every response `res.locals`, its per-request store; plain `node:http` does not. */
type Response = ServerResponse & { locals?: Record<symbol, unknown> };
type Next = (error?: unknown) => void;

/**
 * Where a governed request's decision lives: `res.locals`, Express's own per-request store,
 * under this symbol (invisible to templates, `JSON.stringify` and `for…in`). Not a property of
 * `req`: Express gives `req` its own prototype, and adding a property to it cost ~1.5 µs per
 * request under load; a `WeakMap` keyed by `req` cost ~0.8 µs (CPU profile,
 * benchmarks/profile.js); this, ~0.2 µs. `req.opensergo` is an accessor on the request
 * prototype that reads it (see `exposeContext`).
 */
const DECISION = Symbol('opensergo.decision');

/**
 * What `res.locals[DECISION]` holds: the request's latest decision, the engine that made it
 * (its `passedMark`), and the record of an engine that decided the request before. The same
 * engine mounted twice (app and router) finds its own record and lets the request through.
 * One store into `res.locals` per decision: it is a dictionary, ~190 instructions a store.
 */
interface Decided {
  readonly decision: Decision;
  readonly mark: symbol;
  readonly earlier: Decided | undefined;
}
/** Request prototypes that already carry the `opensergo` accessor, and the last one seen. */
const exposed = new WeakSet<object>();
let lastExposed: object | undefined;

/**
 * `req[name]` read without an inline cache. Express gives each request object a new hidden
 * class (it sets the request's prototype per app), so every ordinary property read of `req`
 * or `res` misses V8's caches and costs ~1,600 instructions (callgrind, docs/benchmarks.md);
 * `Reflect.get` looks the property up directly, for a few hundred.
 */
const read = Reflect.get as <T extends object, K extends keyof T>(target: T, name: K) => T[K];

/**
 * Node's `headers` getter, called directly: `req.headers` is an accessor on
 * `IncomingMessage.prototype`, three prototypes above an Express request, and a look-up walks
 * each of them (none of which has one of its own) before it finds it.
 */
const nodeHeaders = Object.getOwnPropertyDescriptor(IncomingMessage.prototype, 'headers')?.get as ((this: IncomingMessage) => IncomingMessage['headers']) | undefined;

/**
 * The request's connection, read only when a rule asks for the client's address (per-client
 * limits): reading `req.socket` itself costs a property look-up on every request.
 */
class RequestSocket {
  constructor(private readonly req: Request) {}

  get remoteAddress(): string | undefined {
    return read(this.req, 'socket')?.remoteAddress;
  }
}

/** The request's latest decision, or the one of the engine whose `passedMark` is `mark`. */
function decisionOf(res: Response | undefined, mark?: symbol): Decision | undefined {
  let decided = res?.locals?.[DECISION] as Decided | undefined;
  while (mark !== undefined && decided !== undefined && decided.mark !== mark) decided = decided.earlier;
  return decided?.decision;
}

/**
 * Records a decision for the request and makes `req.opensergo` read it. `locals` is
 * `res.locals`, `proto` the request's prototype, both as the middleware read them. The
 * accessor goes on the deepest prototype above `http.IncomingMessage.prototype` (Express's
 * own `request` object, shared by every app and mounted sub-app of that Express), once. A
 * request outside Express (plain Node `http`: no `res.locals`, no such prototype) gets an own
 * property instead. Assigning `req.opensergo` still works: it becomes an own property.
 */
function exposeContext(req: Request, locals: Record<symbol, unknown> | undefined, proto: object | null, decided: Decided): void {
  if (locals === undefined) {
    req.opensergo = decided.decision.context;
    return;
  }
  locals[DECISION] = decided;
  if (proto === lastExposed) return;
  if (proto !== null && exposed.has(proto)) {
    lastExposed = proto;
    return;
  }
  let base: object | undefined;
  while (proto !== null && proto !== IncomingMessage.prototype) {
    base = proto;
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  if (proto === null || base === undefined) {
    req.opensergo = decided.decision.context;
    return;
  }
  if (!exposed.has(base)) {
    Object.defineProperty(base, 'opensergo', {
      configurable: true,
      get(this: Request) {
        return decisionOf(this.res)?.context;
      },
      set(this: IncomingMessage, value: unknown) {
        Object.defineProperty(this, 'opensergo', { value, writable: true, enumerable: true, configurable: true });
      },
    });
    exposed.add(base);
  }
  exposed.add(Object.getPrototypeOf(req) as object);
}

/** The middleware, with its engine and an error-reporting companion. */
export interface OpenSergoMiddleware {
  (req: IncomingMessage, res: ServerResponse, next: Next): void;
  /** The engine deciding for this middleware (for `status()`, events and `close()`). */
  readonly engine: Engine;
  /**
   * Optional error middleware: `app.use(governance.errors)` after your routes makes errors
   * thrown by handlers count as failures even when your own error handler answers below 500.
   */
  readonly errors: (error: unknown, req: IncomingMessage, res: ServerResponse, next: Next) => void;
}

/**
 * Carries out a decision. `method` is the one the middleware read. Methods of `res` are looked
 * up with `read` (an ordinary `res.end` misses V8's caches like any read of `res`), and still
 * find what a middleware before put on the response itself (compression's `end`, on-headers'
 * `writeHead`).
 */
function apply(decided: Decided, method: string, req: Request, res: Response, locals: Record<symbol, unknown> | undefined, proto: object | null, next: Next, engine: Engine): void {
  exposeContext(req, locals, proto, decided);
  const decision = decided.decision;
  if (decision.type === 'block') {
    const { statusCode, headers, body } = decision.response;
    try {
      read(res, 'writeHead').call(res, statusCode, headers);
      (read(res, 'end') as (this: Response, body?: unknown) => void).call(res, method === 'HEAD' ? undefined : body);
    } catch (error) {
      answerWriteFailure(res, decision.rule, error, engine.logger);
    }
    return;
  }
  const headers = decision.headers;
  if (headers) {
    const setHeader = read(res, 'setHeader');
    for (const name in headers) setHeader.call(res, name, headers[name]!);
  }
  if (decision.entry) exitWhenResponseEnds(res, decision.entry, true);
  runRequest(decision.context, req, next);
}

/**
 * Carries out a decision that had to wait (throttling, a remote store). A function of its own:
 * V8 allocates what a function's closures capture on every call of it, so a closure in the
 * middleware cost every request, waited or not.
 */
function applyLater(
  pending: Promise<Decision>,
  mark: symbol,
  earlier: Decided | undefined,
  method: string,
  req: Request,
  res: Response,
  locals: Record<symbol, unknown> | undefined,
  proto: object | null,
  next: Next,
  engine: Engine,
): void {
  pending.then((decision) => apply({ decision, mark, earlier }, method, req, res, locals, proto, next, engine), next);
}

/**
 * OpenSergo governance for Express 4 and 5. Throws `ERR_OPENSERGO_RULES_INVALID` at creation
 * when the rules are wrong, so the app never starts half-configured.
 *
 * @example
 * ```js
 * import express from 'express';
 * import { opensergo } from '@opensergo/express';
 * const app = express();
 * app.use(opensergo({ rulesFile: './opensergo.yaml' }));
 * app.get('/foo', (req, res) => res.send(`label: ${req.opensergo.trafficLabel}`));
 * ```
 */
export function opensergo(options: OpenSergoOptions = {}): OpenSergoMiddleware {
  const engine = createEngine(options);
  const passed = engine.passedMark;
  // Express's router reads paths as its app's settings say; they are read at an app's first request.
  const routings = new WeakMap<App, PathRouting>();
  let lastProto: object | null | undefined;
  let lastApp: App | undefined;
  let routedApp: App | undefined;
  let lastRouting: PathRouting | undefined;
  const routingOf = (app: App | undefined): PathRouting | undefined => {
    if (app === routedApp) return lastRouting;
    if (typeof app?.enabled !== 'function') return undefined;
    let routing = routings.get(app);
    if (!routing) {
      const caseSensitive = app.enabled('case sensitive routing');
      const settings = { caseSensitive, ignoreTrailingSlash: !app.enabled('strict routing'), ignoreDuplicateSlashes: false, semicolonDelimiter: false, emptyParams: false };
      routing = engine.followRouter(settings, 'Express', `app setting "case sensitive routing" is ${caseSensitive ? 'on' : 'off'}`);
      routings.set(app, routing);
    }
    routedApp = app;
    return (lastRouting = routing);
  };
  const middleware = (req: Request, res: Response, next: Next): void => {
    const locals = read(res, 'locals');
    const earlier = locals?.[DECISION] as Decided | undefined;
    for (let d = earlier; d !== undefined; d = d.earlier) if (d.mark === passed) return next();
    // The path Express's router matches: a rewrite of `req.url` before this middleware counts,
    // and a mount (`app.use('/api', router)`) is put back in front.
    const url = read(req, 'url') ?? '/';
    const base = read(req, 'baseUrl');
    // `req.app` is a property of the request's prototype (Express sets the prototype to the
    // app's `request` object, and a mounted app's while in it): read once per prototype.
    const proto = Object.getPrototypeOf(req) as object | null;
    if (proto !== lastProto) {
      lastProto = proto;
      lastApp = read(req, 'app');
    }
    const app = lastApp;
    // The app's `trust proxy` setting tells per-client limits whose X-Forwarded-For to believe
    // (the engine's own `trustProxy` option, when given, wins).
    const trust = app?.settings?.['trust proxy fn'] as ProxyTrust | undefined;
    const method = read(req, 'method') ?? 'GET';
    const view = requestView(method, base ? joinMount(base, url) : url, nodeHeaders && req instanceof IncomingMessage ? nodeHeaders.call(req) : read(req, 'headers'), new RequestSocket(req), trust, routingOf(app));
    const decision = engine.enter(view);
    if (decision instanceof Promise) applyLater(decision, passed, earlier, method, req, res, locals, proto, next, engine);
    else apply({ decision, mark: passed, earlier }, method, req, res, locals, proto, next, engine);
  };
  const errors = (error: unknown, _req: Request, res: Response, next: Next): void => {
    const decision = decisionOf(res, passed);
    if (decision?.type === 'pass') decision.entry?.exit({ type: 'failed', error });
    next(error);
  };
  return Object.assign(middleware, { engine, errors });
}

export type { OpenSergoOptions, RequestContext } from '@opensergo/core';
