// Express adapter. Uses from core only: createEngine, requestView, exitWhenResponseCloses,
// and the types Decision, Engine, OpenSergoOptions, RequestContext.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createEngine,
  exitWhenResponseCloses,
  requestView,
  type Decision,
  type Engine,
  type Entry,
  type OpenSergoOptions,
  type RequestContext,
} from '@opensergo/core';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by `@opensergo/express`: the request's resource and traffic labels. */
      opensergo?: RequestContext;
    }
  }
}

type Request = IncomingMessage & { originalUrl?: string; opensergo?: RequestContext };
type Next = (error?: unknown) => void;
/**
 * Admitted requests' entries, for the error middleware. Not a property of `req`: Express
 * gives `req` its own prototype, and a new property on it cost microseconds per request.
 */
const entries = new WeakMap<IncomingMessage, Entry>();

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

function apply(decision: Decision, req: Request, res: ServerResponse, next: Next): void {
  req.opensergo = decision.context;
  if (decision.type === 'block') {
    const { statusCode, headers, body } = decision.response;
    res.writeHead(statusCode, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  if (decision.entry) {
    entries.set(req, decision.entry);
    exitWhenResponseCloses(res, decision.entry);
  }
  next();
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
  const middleware = (req: Request, res: ServerResponse, next: Next): void => {
    const decision = engine.enter(requestView(req.method ?? 'GET', req.originalUrl ?? req.url ?? '/', req.headers));
    if (decision instanceof Promise) decision.then((d) => apply(d, req, res, next), next);
    else apply(decision, req, res, next);
  };
  const errors = (error: unknown, req: Request, _res: ServerResponse, next: Next): void => {
    entries.get(req)?.exit({ type: 'failed', error });
    next(error);
  };
  return Object.assign(middleware, { engine, errors });
}

export type { OpenSergoOptions, RequestContext } from '@opensergo/core';
