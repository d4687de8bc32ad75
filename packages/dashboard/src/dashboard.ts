import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine } from '@opensergo/core';
import { LiveFeed } from './live-feed.js';
import { page } from './page.js';

export interface DashboardOptions {
  /** Where the page is served; its event stream is `<path>/events`. Default `/opensergo`. */
  readonly path?: string;
  /** How often the page is updated (ms). Default 1000. */
  readonly intervalMs?: number;
  /** How many minutes of rates a newly opened page shows. Default 5. */
  readonly historyMinutes?: number;
}

type Request = IncomingMessage & { originalUrl?: string };

/** A `node:http` / Express / Connect handler; calls `next` for every other path. */
export interface DashboardHandler {
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void;
  /** Whether `url` (path and query) is one of the dashboard's. */
  matches(url: string): boolean;
  /** Ends open pages' streams and stops sampling (the engine's close does not). */
  close(): void;
}

/**
 * The live page of one instance: rules in force with their sources and versions, per resource
 * the pass and block rates over the last minutes as a chart, breaker states, queue lengths and
 * the store's state, updated through server-sent events. Off until you mount it; costs nothing
 * per request, and samples only once a page has been opened. Put it behind your own
 * authentication: it shows your rules.
 *
 * @example
 * ```js
 * import { dashboard } from '@opensergo/dashboard';
 * app.use('/opensergo', dashboard(governance.engine, { path: '/opensergo' })); // Express: open /opensergo
 * ```
 */
export function dashboard(engine: Engine, options: DashboardOptions = {}): DashboardHandler {
  const path = (options.path ?? '/opensergo').replace(/\/+$/, '') || '/';
  const eventsPath = `${path === '/' ? '' : path}/events`;
  const html = page();
  const feed = new LiveFeed(engine, { intervalMs: options.intervalMs ?? 1000, historyMs: (options.historyMinutes ?? 5) * 60_000 });
  const pathOf = (url: string): string => url.split('?', 1)[0]!.replace(/\/+$/, '') || '/';
  const matches = (url: string): boolean => {
    // Most requests are for the app, not the page: one prefix test answers them.
    if (!url.startsWith(path)) return false;
    const p = pathOf(url);
    return p === path || p === eventsPath;
  };
  const handler = (req: Request, res: ServerResponse, next?: (error?: unknown) => void): void => {
    const url = req.originalUrl ?? req.url ?? '/';
    if (!matches(url) || (req.method !== 'GET' && req.method !== 'HEAD')) {
      if (next) next();
      else {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('Not Found\n');
      }
      return;
    }
    if (pathOf(url) === eventsPath) {
      feed.open(res);
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      // Self-contained: the page loads nothing from anywhere, and may talk only to this server.
      'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
    });
    res.end(req.method === 'HEAD' ? undefined : html);
  };
  return Object.assign(handler, { matches, close: () => feed.close() });
}
