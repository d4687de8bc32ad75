import type { ProxyTrust } from './client/client-address.js';
import type { PathRouting } from './matching/path-routing.js';

/** Where the request came from: a `net.Socket`, read only when a rule needs the client's address. */
export interface PeerSocket {
  readonly remoteAddress?: string | undefined;
}

/**
 * A framework's request object whose `ip` is the client's address as the framework's own proxy
 * settings give it (Koa's `ctx` with `app.proxy`, a Fastify request under `trustProxy`).
 */
export interface ClientIpSource {
  readonly ip: string;
}

/** Node-style headers: lower-case names, repeated headers as arrays. */
export interface HeaderBag {
  readonly [name: string]: string | readonly string[] | undefined;
}

/**
 * What the engine reads of a request. Adapters build it from the framework's request;
 * query and cookies are parsed only if a rule asks for them.
 */
export interface RequestView {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** The request target the router reads (path, maybe query); the engine normalises it. */
  readonly url: string;
  /** How the framework's router reads `url`; without it, the engine's default (docs/matching.md). */
  readonly routing?: PathRouting | undefined;
  /** A header by lower-case name; repeated headers joined with `, `. */
  header(name: string): string | undefined;
  /** The first value of a query parameter. */
  query(name: string): string | undefined;
  /** A cookie's value. */
  cookie(name: string): string | undefined;
  /** The connection, for the client's address (per-client limits by `clientIp`). */
  readonly socket?: PeerSocket | undefined;
  /**
   * The framework's own proxy trust (Express's `trust proxy` setting), used when the engine
   * has no `trustProxy` option.
   */
  readonly proxyTrust?: ProxyTrust | undefined;
  /**
   * Where the framework keeps the client's address by its own proxy settings (Koa's `app.proxy`,
   * Fastify's `trustProxy`), read only when a rule counts by `clientIp` and the engine has no
   * `trustProxy` option: per-client limits then count what `ctx.ip` / `request.ip` says.
   */
  readonly ipSource?: ClientIpSource | undefined;
}

/**
 * One per request. Its fields are `declare`d and assigned in the constructor: declared class
 * fields make V8 run a separate initializer function per object (~40 instructions, callgrind).
 */
class HttpRequestView implements RequestView {
  declare readonly method: string;
  declare readonly url: string;
  private declare readonly headers: HeaderBag;
  declare readonly socket: PeerSocket | undefined;
  declare readonly proxyTrust: ProxyTrust | undefined;
  declare readonly routing: PathRouting | undefined;
  declare readonly ipSource: ClientIpSource | undefined;
  private declare queryCache: URLSearchParams | undefined;
  private declare cookieCache: Map<string, string> | undefined;

  constructor(
    method: string,
    url: string,
    headers: HeaderBag,
    socket: PeerSocket | undefined,
    proxyTrust: ProxyTrust | undefined,
    routing: PathRouting | undefined,
    ipSource: ClientIpSource | undefined,
  ) {
    this.method = method;
    this.url = url;
    this.headers = headers;
    this.socket = socket;
    this.proxyTrust = proxyTrust;
    this.routing = routing;
    this.ipSource = ipSource;
    this.queryCache = undefined;
    this.cookieCache = undefined;
  }

  header(name: string): string | undefined {
    // The two headers every request is read for (incoming traffic labels) as named reads: a
    // read by a name that varies is a megamorphic keyed load, ~140 instructions each (callgrind).
    const value = name === 'x-opensergo-traffic' ? this.headers['x-opensergo-traffic'] : name === 'baggage' ? this.headers.baggage : this.headers[name];
    return typeof value === 'string' || value === undefined ? value : value.join(', ');
  }

  query(name: string): string | undefined {
    if (!this.queryCache) {
      const q = this.url.indexOf('?');
      const end = this.url.indexOf('#', q);
      this.queryCache = new URLSearchParams(q === -1 ? '' : this.url.slice(q + 1, end === -1 ? undefined : end));
    }
    return this.queryCache.get(name) ?? undefined;
  }

  cookie(name: string): string | undefined {
    if (!this.cookieCache) this.cookieCache = parseCookies(this.header('cookie'));
    return this.cookieCache.get(name);
  }
}

function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const pair of header.split(/;\s*/)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    if (cookies.has(name)) continue; // the first one wins, as browsers send the most specific first
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      value = decodeURIComponent(value);
    } catch {
      // keep the raw value when it is not valid percent-encoding
    }
    cookies.set(name, value);
  }
  return cookies;
}

/**
 * Builds the engine's view of a Node HTTP request. `socket` (the request's `net.Socket`) gives
 * the client's address; `proxyTrust`, the framework's proxy trust, if it has one; `routing`,
 * how the framework's router reads paths (from `engine.followRouter`); `ipSource`, the
 * framework's request whose `ip` is the client by the framework's own proxy settings.
 *
 * @example
 * ```ts
 * import { requestView } from '@opensergo/core';
 * const view = requestView('GET', '/foo?x=1', { 'x-user-id': '12345' });
 * view.query('x'); // '1'
 * ```
 */
export function requestView(
  method: string,
  url: string,
  headers: HeaderBag,
  socket?: PeerSocket,
  proxyTrust?: ProxyTrust,
  routing?: PathRouting,
  ipSource?: ClientIpSource,
): RequestView {
  return new HttpRequestView(method, url, headers, socket, proxyTrust, routing, ipSource);
}

/**
 * The URL a router mounted at `prefix` was handed, as the app's own router saw it: `prefix`
 * (the part a mount took off, Express's `req.baseUrl`, koa-mount's `ctx.mountPath`) put back
 * in front of the rest (`req.url`, `ctx.url`, maybe rewritten by a middleware before).
 *
 * @example
 * ```ts
 * joinMount('/api', '/users/1?x=1'); // '/api/users/1?x=1'
 * joinMount('/api', '/'); // '/api'
 * ```
 */
export function joinMount(prefix: string, url: string): string {
  if (url.charCodeAt(0) !== 47 /* / */) {
    // absolute form: the prefix goes after the authority
    const authority = url.indexOf('//');
    const path = authority === -1 ? -1 : url.indexOf('/', authority + 2);
    return path === -1 ? `${prefix}${url}` : `${url.slice(0, path)}${prefix}${url.slice(path)}`;
  }
  const rest = url.length === 1 || url.charCodeAt(1) === 63 /* ? */ ? url.slice(1) : url;
  return `${prefix}${rest}`;
}
