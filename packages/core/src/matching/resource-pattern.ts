import { normaliseRequestPath } from './normalise-path.js';
import { defaultRouting, type PathRouting } from './path-routing.js';

/** One segment of a resource pattern. */
export type PatternSegment =
  | { readonly type: 'literal'; readonly value: string }
  | { readonly type: 'param'; readonly name: string };

/**
 * What a resource name names: an incoming request path (`/path`, `METHOD:/path`), an outgoing
 * call (`http://host/path`, `METHOD:https://host/path`), or anything else, a free-form name
 * matched as written (`db:orders.select`, `com.foo.DemoService:sayHello(java.lang.String)`)
 * that only `guard(name, fn)` enters.
 */
export type ResourceScope = 'incoming' | 'outgoing' | 'name';

/**
 * A parsed `targetResourceName` (docs/rules.md). For paths, a segment `{name}`, `:name` or `*`
 * matches one path segment and a final `**` the rest.
 */
export interface ResourcePattern {
  /** As written in the rule; also the resource name handlers see. */
  readonly raw: string;
  readonly scope: ResourceScope;
  /** Outgoing: `scheme://host[:port]`, lower-case, without the scheme's default port. */
  readonly origin: string | undefined;
  /** Upper-case method, or `undefined` for any method. */
  readonly method: string | undefined;
  /** The normalised path part (case folded unless case-sensitive); for a free-form name, the name. */
  readonly path: string;
  readonly segments: readonly PatternSegment[];
  /** Ends in `**`: matches any number (≥ 0) of further segments. */
  readonly rest: boolean;
  /** No params and no `**`: matched by exact lookup. */
  readonly isStatic: boolean;
  /** The `key` of the routing `path` was normalised with. */
  readonly routingKey: number;
}

const METHOD = /^([A-Za-z]+):(\/.*)$/;
const URL_FORM = /^(?:([A-Za-z]+):)?([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/;
const PARAM = /^(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|:([A-Za-z_][A-Za-z0-9_]*)|\*)$/;
const HOST = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * `scheme://host[:port]` as outgoing targets and calls are compared: lower-case, without the
 * scheme's default port (`http://Backend:80` is `http://backend`).
 *
 * @example
 * ```ts
 * originOf('http:', 'Backend:80'); // 'http://backend'
 * ```
 */
export function originOf(protocol: string, host: string): string {
  const scheme = (protocol.endsWith(':') ? protocol.slice(0, -1) : protocol).toLowerCase();
  let name = host.toLowerCase();
  if ((scheme === 'http' && name.endsWith(':80')) || (scheme === 'https' && name.endsWith(':443'))) name = name.slice(0, name.lastIndexOf(':'));
  return `${scheme}://${name}`;
}

/**
 * Parses a resource name; returns a message saying what was expected when it is not one.
 *
 * @example
 * ```ts
 * const p = parseResourcePattern('GET:/users/{id}');
 * if (typeof p !== 'string') console.log(p.scope, p.method, p.segments.length); // incoming GET 2
 * parseResourcePattern('GET:http://backend/users/{id}'); // scope 'outgoing', origin 'http://backend'
 * parseResourcePattern('db:orders.select'); // scope 'name'
 * ```
 */
export function parseResourcePattern(raw: string, caseSensitive = false): ResourcePattern | string {
  return parsePatternFor(raw, defaultRouting(caseSensitive));
}

/** {@link parseResourcePattern}, its path normalised the way `routing` reads request paths. */
export function parsePatternFor(raw: string, routing: PathRouting): ResourcePattern | string {
  const url = URL_FORM.exec(raw);
  const scheme = url?.[2]!.toLowerCase();
  // Other schemes (`mysql://orders/select`) name what `guard` is given: free-form names.
  if (url && (scheme === 'http' || scheme === 'https')) {
    if (!HOST.test(url[3]!)) return 'expected a host (and port) after "://", without user info (e.g. "http://backend/users/{id}")';
    const pathPart = url[4] === '' ? '/**' : url[4]!;
    if (!pathPart.startsWith('/')) return 'expected the path after the host to start with "/"';
    return parsePath(raw, 'outgoing', originOf(scheme, url[3]!), url[1]?.toUpperCase(), pathPart, routing);
  }
  const withMethod = url ? null : METHOD.exec(raw);
  if (withMethod) return parsePath(raw, 'incoming', undefined, withMethod[1]!.toUpperCase(), withMethod[2]!, routing);
  if (!url && raw.startsWith('/')) return parsePath(raw, 'incoming', undefined, undefined, raw, routing);
  if (CONTROL.test(raw)) return 'expected a name without control characters';
  return { raw, scope: 'name', origin: undefined, method: undefined, path: raw, segments: [], rest: false, isStatic: true, routingKey: routing.key };
}

function parsePath(
  raw: string,
  scope: ResourceScope,
  origin: string | undefined,
  method: string | undefined,
  pathPart: string,
  routing: PathRouting,
): ResourcePattern | string {
  if (/[?#]/.test(pathPart)) return 'expected a path without query string or fragment';
  const path = normaliseRequestPath(pathPart, routing);
  const parts = path === '/' ? [] : path.slice(1).split('/');
  const segments: PatternSegment[] = [];
  let rest = false;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === '**') {
      if (i !== parts.length - 1) return 'expected "**" only as the last segment';
      rest = true;
      continue;
    }
    if (part.includes('**')) return 'expected "**" to be a whole segment';
    const param = PARAM.exec(part);
    if (param) {
      segments.push({ type: 'param', name: param[1] ?? param[2] ?? '*' });
      continue;
    }
    if (/[{}*]/.test(part) || (part.startsWith(':') && part.length > 1)) {
      return `expected a parameter to be a whole segment ("{id}", ":id" or "*"), got "${part}"`;
    }
    segments.push({ type: 'literal', value: part });
  }
  const isStatic = !rest && segments.every((s) => s.type === 'literal');
  return { raw, scope, origin, method, path, segments, rest, isStatic, routingKey: routing.key };
}
